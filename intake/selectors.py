from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404

from clinic.models import STAFF_ROLES, Role, User

from .models import IntakeCase, Referral, ReferralAttachment, ReferringProvider


def provider_for_user(user: User) -> ReferringProvider:
    try:
        return user.provider_profile
    except ReferringProvider.DoesNotExist as exc:
        # A provider user made by hand in the admin, without the provider details.
        raise PermissionDenied("This account has no provider details; call the clinic.") from exc


def referrals_for_provider(
    *, provider: ReferringProvider, status: str = "", q: str = ""
) -> QuerySet[Referral]:
    referrals = Referral.objects.for_provider(provider).select_related("preferred_location")
    if status:
        referrals = referrals.filter(status=status)
    return referrals.search(q).order_by("-created_at", "-pk")


def referrals_visible_to(user: User) -> QuerySet[Referral]:
    """Providers see the referrals they submitted; clinic staff see all; anyone else nothing."""
    base = Referral.objects.select_related("provider__user", "preferred_location")
    if user.role == Role.PROVIDER:
        return base.filter(provider__user=user)
    if user.role in STAFF_ROLES:
        return base
    return base.none()


def referral_detail_for(*, user: User, reference: str) -> Referral:
    referral = (
        referrals_visible_to(user)
        .prefetch_related("history", "attachments", "duplicate_links__other")
        .filter(reference=reference)
        .first()
    )
    if referral is None:
        # The same answer whether it does not exist or belongs to someone else.
        raise Http404("No such referral")
    return referral


def attachment_for(*, user: User, pk: int) -> ReferralAttachment:
    attachment = (
        ReferralAttachment.objects.select_related("referral")
        .filter(referral__in=referrals_visible_to(user), pk=pk)
        .first()
    )
    if attachment is None:
        raise Http404("No such attachment")
    return attachment


def open_intake_cases() -> QuerySet[IntakeCase]:
    return (
        IntakeCase.objects.filter(status=IntakeCase.Status.OPEN)
        .select_related("referral__provider__user", "referral__preferred_location")
        .prefetch_related("referral__duplicate_links")
        .order_by("created_at")
    )
