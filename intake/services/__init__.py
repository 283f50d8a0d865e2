"""Writes for the intake app: referrals (referrals.py), claiming the call queue (claims.py),
logging calls (calls.py) and patient invitations (invitations.py)."""

from .calls import call_log
from .claims import case_claim, case_claim_next, case_release, case_set_checklist_item
from .invitations import invitation_accept, invitation_resolve, invitation_send
from .referrals import (
    api_token_create,
    api_token_revoke,
    provider_sign_up,
    providers_verify,
    referral_follow_course,
    referral_set_status,
    referral_submit,
    request_fingerprint,
    time_zone_for_zip,
)

__all__ = [
    "api_token_create",
    "api_token_revoke",
    "call_log",
    "case_claim",
    "case_claim_next",
    "case_release",
    "case_set_checklist_item",
    "invitation_accept",
    "invitation_resolve",
    "invitation_send",
    "provider_sign_up",
    "providers_verify",
    "referral_follow_course",
    "referral_set_status",
    "referral_submit",
    "request_fingerprint",
    "time_zone_for_zip",
]
