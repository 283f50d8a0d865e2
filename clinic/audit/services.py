"""Writing the audit trail. Views call audit_record() (one record) or audit_record_many() (a
list of patients on one page) explicitly, next to the selector that loaded the records, so a
reader sees at once that the page is audited."""

from collections.abc import Callable, Iterable

from django.db import connection, models
from django.http import HttpRequest
from django.utils import timezone

from clinic.client_ip import client_ip
from clinic.models import STAFF_ROLES

from .models import AuditAction, AuditEvent

# Short, stable names for the audited record types (model label -> object type).
OBJECT_TYPES = {
    "intake.referral": "referral",
    "intake.intakecase": "intake_case",
    "intake.referralattachment": "attachment",
    "intake.inbounddocument": "inbound_document",
    "intake.inboundpage": "inbound_page",
    "scheduling.course": "course",
    "scheduling.infusionsession": "session",
    "billing.estimate": "estimate",
    "billing.gfeobligation": "gfe_obligation",
    "clinic.user": "patient",
    "clinic.message": "message",
}


def referral_id_of(obj: models.Model) -> int | None:
    if obj._meta.label_lower == "intake.referral":
        return obj.pk
    return getattr(obj, "referral_id", None)


def _staff(request: HttpRequest):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or user.role not in STAFF_ROLES:
        return None
    return user


def _event(request, user, obj, action, patient_id, referral_id) -> AuditEvent:
    return AuditEvent(
        actor=user,
        actor_role=user.role,
        patient_id=patient_id,
        referral_id=referral_id,
        object_type=OBJECT_TYPES.get(obj._meta.label_lower, obj._meta.label_lower),
        object_id=str(obj.pk),
        action=AuditAction(action),
        ip_address=client_ip(request),
        path=request.path[:300],
    )


def audit_record(
    *,
    request: HttpRequest,
    obj: models.Model,
    action: AuditAction | str,
    patient_id: int | None = None,
    referral_id: int | None = None,
) -> AuditEvent | None:
    """Append one event when a clinic staff member views or changes a patient's record; does
    nothing for patients and providers (who only ever see their own). `patient_id` defaults to
    the object's own `patient_id` when it has one; `referral_id` to its referral's, so that
    events from before the patient has an account join their trail later."""
    user = _staff(request)
    if user is None:
        return None
    if patient_id is None:
        patient_id = getattr(obj, "patient_id", None)
    if referral_id is None:
        referral_id = referral_id_of(obj)
    event = _event(request, user, obj, action, patient_id, referral_id)
    event.save()
    return event


def audit_record_many(
    *,
    request: HttpRequest,
    objects: Iterable[models.Model],
    patient_of: Callable[[models.Model], int | None] = lambda obj: getattr(obj, "patient_id", None),
    action: AuditAction | str = AuditAction.VIEW,
) -> int:
    """A staff page that lists patients: one VIEW event per patient shown (the first row that
    shows them), written in one INSERT. Rows that are nobody's record (a staff member's account,
    a message to a provider) are skipped. Returns the number of events written."""
    user = _staff(request)
    if user is None:
        return 0
    return _record_once_per_patient(
        request,
        user,
        action,
        ((obj._meta.label_lower, obj.pk, patient_of(obj), referral_id_of(obj)) for obj in objects),
    )


def audit_record_rows(
    *,
    request: HttpRequest,
    model: type[models.Model],
    rows: Iterable[tuple[object, int | None, int | None]],
    action: AuditAction | str = AuditAction.VIEW,
) -> int:
    """audit_record_many() for a page read as plain values rather than model instances: the
    same events, written the same way, from each row's (object id, patient id, referral id) of
    `model`, in the order shown."""
    user = _staff(request)
    if user is None:
        return 0
    label = model._meta.label_lower
    return _record_once_per_patient(
        request, user, action, ((label, pk, patient, referral) for pk, patient, referral in rows)
    )


def _record_once_per_patient(request, user, action, rows) -> int:
    """One VIEW event per patient (or referral without one), from the first of the rows
    (model label, object id, patient id, referral id) that shows them; nobody's rows skipped."""
    events, seen = [], set()
    for label, pk, patient_id, referral_id in rows:
        if patient_id is None and referral_id is None:
            continue
        key = patient_id if patient_id is not None else ("referral", referral_id)
        if key in seen:
            continue
        seen.add(key)
        events.append((patient_id, referral_id, OBJECT_TYPES.get(label, label), str(pk)))
    if events:
        _insert_many(request, user, AuditAction(action), events)
    return len(events)


# One statement for a page's rows, the values they share given once and the rest as arrays: a
# model instance per row (what bulk_create needs) cost more than the rest of the day view.
_INSERT_MANY = """
INSERT INTO {table} (at, actor_id, actor_role, action, ip_address, path,
                     patient_id, referral_id, object_type, object_id)
SELECT %s, %s, %s, %s, %s::inet, %s, u.patient_id, u.referral_id, u.object_type, u.object_id
  FROM UNNEST(%s::bigint[], %s::bigint[], %s::varchar[], %s::varchar[])
       AS u(patient_id, referral_id, object_type, object_id)
"""


def _insert_many(request, user, action: AuditAction, rows: list[tuple]) -> None:
    patients, referrals, types, ids = (list(column) for column in zip(*rows, strict=True))
    with connection.cursor() as cursor:
        cursor.execute(
            _INSERT_MANY.format(table=connection.ops.quote_name(AuditEvent._meta.db_table)),
            [
                timezone.now(),
                user.pk,
                user.role,
                str(action),
                client_ip(request),
                request.path[:300],
                patients,
                referrals,
                types,
                ids,
            ],
        )
