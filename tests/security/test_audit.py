import csv
import io

import pytest
from django.contrib import admin
from django.db import DatabaseError, transaction
from django.db.models import ProtectedError
from django.test import RequestFactory
from django.urls import reverse

from billing.services import gfe_record_request
from clinic.audit.models import AuditEvent
from clinic.audit.services import audit_record_many, audit_record_rows
from intake.models import Referral
from reporting.selectors import audit_events_for_patient
from scheduling.models import InfusionSession
from tests.security.world import build_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(settings, tmp_path):
    settings.PRIVATE_STORAGE_ROOT = tmp_path
    return build_world()


def _events(**filters):
    return list(
        AuditEvent.objects.filter(**filters)
        .order_by("pk")
        .values_list("object_type", "action", "actor_role")
    )


def test_staff_views_and_changes_of_patient_records_are_recorded(client, world):
    coordinator = world.staff["coordinator"]
    referral, case = world.provider.referral, world.provider.case
    course, session, estimate = world.patient.course, world.patient.session, world.patient.estimate

    client.force_login(coordinator)
    client.get(reverse("intake:referral_detail", args=[referral.reference]), REMOTE_ADDR="10.1.2.3")
    client.get(reverse("intake:attachment_download", args=[world.provider.attachment.pk]))
    client.get(reverse("intake:call_screen", args=[case.pk]))
    client.post(reverse("intake:take_call", args=[case.pk]))
    client.get(reverse("scheduling:coordinator_course", args=[course.pk]))
    client.get(reverse("billing:gfe", args=[estimate.pk]))
    client.post(
        reverse("scheduling:session_confirm", args=[session.pk, "cancel"]),
        {"reason": "The patient called"},
    )
    assert _events(actor=coordinator) == [
        ("referral", "view", "coordinator"),
        ("attachment", "view", "coordinator"),
        ("intake_case", "view", "coordinator"),
        ("intake_case", "change", "coordinator"),
        ("course", "view", "coordinator"),
        ("estimate", "view", "coordinator"),
        ("session", "change", "coordinator"),
    ]
    first = AuditEvent.objects.filter(actor=coordinator).order_by("pk").first()
    assert first.ip_address == "10.1.2.3"
    assert first.object_id == str(referral.pk)
    # Course, session and estimate events name the patient whose record it is.
    assert set(
        AuditEvent.objects.filter(object_type__in=["course", "session", "estimate"]).values_list(
            "patient", flat=True
        )
    ) == {world.patient.user.pk}


def test_patients_and_providers_reading_their_own_records_are_not_staff_access(client, world):
    client.force_login(world.patient.user)
    client.get(reverse("billing:gfe", args=[world.patient.estimate.pk]))
    client.force_login(world.provider.user)
    client.get(reverse("intake:referral_detail", args=[world.provider.referral.reference]))
    assert not AuditEvent.objects.exists()


def test_the_database_refuses_to_change_or_delete_an_event(client, world):
    client.force_login(world.staff["admin"])
    client.get(reverse("billing:gfe", args=[world.patient.estimate.pk]))
    event = AuditEvent.objects.get()
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(action="change")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).delete()
    assert AuditEvent.objects.get().action == "view"


def test_a_user_with_events_cannot_be_deleted_and_keeps_their_trail(client, world):
    """The events' users are not database constraints (clinic/audit/models.py: checking them
    per row cost more than the pages that write them), so Django's PROTECT is what keeps an
    actor's and a patient's events from losing their user."""
    coordinator, patient = world.staff["coordinator"], world.patient.user
    client.force_login(coordinator)
    client.get(reverse("scheduling:coordinator_course", args=[world.patient.course.pk]))
    event = AuditEvent.objects.get(actor=coordinator)
    assert event.patient_id == patient.pk
    for user in (coordinator, patient):
        with pytest.raises(ProtectedError) as refused, transaction.atomic():
            user.delete()
        assert event in refused.value.protected_objects
    assert AuditEvent.objects.get(pk=event.pk).actor == coordinator


def test_the_admin_cannot_add_edit_or_delete_events(world):
    model_admin = admin.site._registry[AuditEvent]
    request = RequestFactory().get("/")
    request.user = world.staff["admin"]
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request)
    assert not model_admin.has_delete_permission(request)


def test_admins_list_a_patients_trail_and_export_it_as_csv(client, world):
    patient = world.patient.user
    client.force_login(world.staff["coordinator"])
    client.get(reverse("scheduling:coordinator_course", args=[world.patient.course.pk]))
    client.get(reverse("billing:gfe", args=[world.other_patient.estimate.pk]))  # someone else

    client.force_login(world.staff["admin"])
    found = client.get(reverse("clinic:audit_trail"), {"q": patient.email})
    assert f"?patient={patient.pk}" in found.content.decode()
    page = client.get(reverse("clinic:audit_trail"), {"patient": patient.pk}).content.decode()
    assert f"course #{world.patient.course.pk}" in page
    assert f"estimate #{world.other_patient.estimate.pk}" not in page

    response = client.get(reverse("clinic:audit_trail_csv"), {"patient": patient.pk})
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][:4] == ["when_utc", "who", "role", "action"]
    assert [r[2:6] for r in rows[1:]] == [
        ["coordinator", "view", "course", str(world.patient.course.pk)]
    ]


def test_referral_events_before_intake_join_the_patients_trail_afterwards(client, world):
    referral = world.provider.referral
    client.force_login(world.staff["coordinator"])
    client.get(reverse("intake:referral_detail", args=[referral.reference]))
    # Intake gives the referral its patient account later on.
    type(referral).objects.filter(pk=referral.pk).update(patient=world.patient.user)

    events = audit_events_for_patient(patient=world.patient.user)
    assert [(e.object_type, e.object_id) for e in events] == [("referral", str(referral.pk))]


def _viewed_patients(actor, object_type):
    return sorted(
        AuditEvent.objects.filter(actor=actor, object_type=object_type, action="view").values_list(
            "patient_id", flat=True
        )
    )


@pytest.mark.parametrize(
    ("actor", "url_name", "query", "object_type"),
    [
        ("coordinator", "scheduling:coordinator_courses", {"q": ""}, "course"),
        ("clinician", "scheduling:staff_day", {}, "session"),
        ("coordinator", "billing:coordinator_list", {}, "gfe_obligation"),
        ("admin", "messaging:outbox", {}, "message"),
    ],
)
def test_staff_lists_record_one_view_per_patient_shown(
    client, world, actor, url_name, query, object_type
):
    if object_type == "gfe_obligation":
        for p in (world.patient, world.other_patient):
            gfe_record_request(patient=p.user, location=p.course.location)
    shown = [world.patient.user.pk, world.other_patient.user.pk]
    if object_type == "session":  # the day of the first patient's session: only theirs
        day = InfusionSession.objects.get(pk=world.patient.session.pk).local_date
        query = {"location": world.patient.course.location_id, "date": str(day)}
        shown = [world.patient.user.pk]
    user = world.staff[actor]
    client.force_login(user)
    assert client.get(reverse(url_name), query).status_code == 200
    # One event per patient shown (the outbox lists several messages to each), none for the
    # providers' notices.
    assert _viewed_patients(user, object_type) == sorted(shown)


def test_intake_case_events_before_the_account_join_the_patients_trail(client, world):
    referral, case = world.provider.referral, world.provider.case
    client.force_login(world.staff["coordinator"])
    client.get(reverse("intake:call_screen", args=[case.pk]))
    client.post(reverse("intake:take_call", args=[case.pk]))
    events = AuditEvent.objects.filter(object_type="intake_case")
    assert [(e.patient_id, e.referral_id) for e in events] == [(None, referral.pk)] * 2
    type(referral).objects.filter(pk=referral.pk).update(patient=world.patient.user)
    trail = audit_events_for_patient(patient=world.patient.user)
    assert {(e.object_type, e.referral_id) for e in trail} == {("intake_case", referral.pk)}


def test_rows_read_as_plain_values_are_audited_as_their_instances_are(world):
    """audit_record_rows (a page read without model instances: the day view) writes what
    audit_record_many writes for the same records: one event per patient, from the first row
    that shows them, with the referral of a row that has one."""

    request = RequestFactory().get("/staff/day/", REMOTE_ADDR="10.1.2.3")
    request.user = world.staff["coordinator"]
    sessions = list(InfusionSession.objects.order_by("pk")) * 2  # each patient twice
    referrals = list(Referral.objects.order_by("pk"))
    assert sessions and referrals

    def written(record) -> list[tuple]:
        before = AuditEvent.objects.order_by("pk").values_list("pk", flat=True).last() or 0
        record()
        return list(
            AuditEvent.objects.filter(pk__gt=before)
            .order_by("pk")
            .values_list(
                "actor_id", "actor_role", "action", "ip_address", "path", "patient_id",
                "referral_id", "object_type", "object_id",
            )
        )  # fmt: skip

    for objects, model in ((sessions, InfusionSession), (referrals, Referral)):
        expected = written(lambda: audit_record_many(request=request, objects=objects))  # noqa: B023
        rows = [(o.pk, o.patient_id, o.pk if model is Referral else None) for o in objects]
        assert (
            expected
            and written(
                lambda: audit_record_rows(request=request, model=model, rows=rows)  # noqa: B023
            )
            == expected
        )
