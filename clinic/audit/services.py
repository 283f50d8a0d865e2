"""Writing the audit trail. Views call audit_record() explicitly, next to the selector that
loaded the record, so a reader sees at once that the page is audited."""

from django.db import models
from django.http import HttpRequest

from clinic.models import STAFF_ROLES

from .models import AuditAction, AuditEvent

# Short, stable names for the audited record types (model label -> object type).
OBJECT_TYPES = {
    "intake.referral": "referral",
    "intake.intakecase": "intake_case",
    "intake.referralattachment": "attachment",
    "scheduling.course": "course",
    "scheduling.infusionsession": "session",
    "billing.estimate": "estimate",
}


def client_ip(request: HttpRequest) -> str | None:
    """The address the request came from. Behind the production proxy (which sets
    X-Forwarded-For and is the only way in) the first forwarded address is the client's."""
    forwarded = request.headers.get("X-Forwarded-For", "")
    address = forwarded.split(",")[0].strip() if forwarded else request.META.get("REMOTE_ADDR")
    return address or None


def audit_record(
    *,
    request: HttpRequest,
    obj: models.Model,
    action: AuditAction | str,
    patient_id: int | None = None,
) -> AuditEvent | None:
    """Append one event when a clinic staff member views or changes a patient's record; does
    nothing for patients and providers (who only ever see their own). `patient_id` defaults to
    the object's own `patient_id` when it has one."""
    user = request.user
    if not user.is_authenticated or user.role not in STAFF_ROLES:
        return None
    if patient_id is None:
        patient_id = getattr(obj, "patient_id", None)
    return AuditEvent.objects.create(
        actor=user,
        actor_role=user.role,
        patient_id=patient_id,
        object_type=OBJECT_TYPES.get(obj._meta.label_lower, obj._meta.label_lower),
        object_id=str(obj.pk),
        action=AuditAction(action),
        ip_address=client_ip(request),
        path=request.path[:300],
    )


def audit_record_many(
    *, request: HttpRequest, objs: list[models.Model], action: AuditAction | str
) -> list[AuditEvent]:
    """audit_record for a page that shows several patients' records at once, in one insert."""
    user = request.user
    if not objs or not user.is_authenticated or user.role not in STAFF_ROLES:
        return []
    return AuditEvent.objects.bulk_create(
        AuditEvent(
            actor=user,
            actor_role=user.role,
            patient_id=getattr(obj, "patient_id", None),
            object_type=OBJECT_TYPES.get(obj._meta.label_lower, obj._meta.label_lower),
            object_id=str(obj.pk),
            action=AuditAction(action),
            ip_address=client_ip(request),
            path=request.path[:300],
        )
        for obj in objs
    )
