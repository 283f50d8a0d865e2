"""Reads for the reports: the audit trail of one patient, across the apps that record it."""

from django.db.models import Q, QuerySet

from clinic.audit.models import AuditEvent
from clinic.models import User
from intake.models import IntakeCase, Referral, ReferralAttachment


def audit_events_for_patient(*, patient: User) -> QuerySet[AuditEvent]:
    """Every event about the patient, including those recorded on their referral, intake case
    and documents before intake gave them an account."""
    referrals = list(Referral.objects.filter(patient=patient).values_list("pk", flat=True))
    cases = IntakeCase.objects.filter(referral_id__in=referrals).values_list("pk", flat=True)
    files = ReferralAttachment.objects.filter(referral_id__in=referrals).values_list(
        "pk", flat=True
    )

    def ids(values) -> list[str]:
        return [str(v) for v in values]

    match = (
        Q(patient=patient)
        | Q(referral_id__in=referrals)
        | Q(object_type="referral", object_id__in=ids(referrals))
        | Q(object_type="intake_case", object_id__in=ids(cases))
        | Q(object_type="attachment", object_id__in=ids(files))
    )
    return AuditEvent.objects.filter(match).select_related("actor").order_by("-at", "-pk")
