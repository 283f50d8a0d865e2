"""Intake's models. referrals.py: who refers, the referral and its status history, attachments
and possible duplicates; cases.py: the intake call (case, checklist, call attempts) and the
patient's invitation. Every model is importable from here, as migrations and other apps do."""

from .cases import (
    REACHED_OUTCOMES,
    UNANSWERED_OUTCOMES,
    CallAttempt,
    CallOutcome,
    ChecklistItem,
    IntakeCase,
    IntakeCaseQuerySet,
    PatientInvitation,
)
from .inbox import (
    INBOUND_TYPES,
    INBOX_OPEN,
    INBOX_TRANSITIONS,
    InboundDocument,
    InboundPage,
    InboundSource,
    InboundStatus,
)
from .referrals import (
    REFERRAL_TRANSITIONS,
    STATUSES_NEEDING_REASON,
    ApiToken,
    PossibleDuplicate,
    PrivateStorage,
    Referral,
    ReferralAttachment,
    ReferralQuerySet,
    ReferralStatus,
    ReferralStatusChange,
    ReferringProvider,
    attachment_path,
    normalise_name,
)

__all__ = [
    "INBOUND_TYPES",
    "INBOX_OPEN",
    "INBOX_TRANSITIONS",
    "InboundDocument",
    "InboundPage",
    "InboundSource",
    "InboundStatus",
    "REACHED_OUTCOMES",
    "REFERRAL_TRANSITIONS",
    "STATUSES_NEEDING_REASON",
    "UNANSWERED_OUTCOMES",
    "ApiToken",
    "CallAttempt",
    "CallOutcome",
    "ChecklistItem",
    "IntakeCase",
    "IntakeCaseQuerySet",
    "PatientInvitation",
    "PossibleDuplicate",
    "PrivateStorage",
    "Referral",
    "ReferralAttachment",
    "ReferralQuerySet",
    "ReferralStatus",
    "ReferralStatusChange",
    "ReferringProvider",
    "attachment_path",
    "normalise_name",
]
