import datetime as dt
import re
import threading
from decimal import Decimal as D
from zoneinfo import ZoneInfo

import pytest
from django.db import IntegrityError, connection, transaction

from billing.models import Estimate, EstimateLine, FeeItem, FeeItemKind, GfeObligation
from billing.selectors import estimates_for_patient
from billing.services import (
    estimate_acknowledge,
    estimate_issue,
    estimate_quote,
    gfe_record_request,
)
from clinic.errors import ApplicationError
from clinic.models import Role
from tests.factories.billing import (
    LocationFactory,
    billable_location,
    fee_schedule,
    patient,
)
from tests.factories.users import UserFactory

NY = ZoneInfo("America/New_York")


def starts(*days):
    return [dt.datetime(2026, 3, d, 9, 0, tzinfo=NY) for d in days]


def issue(who, location, n=4, dates=(9, 16, 23, 30), codes=("G43.709",), reason="Course booked"):
    return estimate_issue(
        patient=who,
        location=location,
        infusion_count=n,
        scheduled_starts=starts(*dates),
        diagnosis_codes=list(codes),
        issued_by=UserFactory(role=Role.COORDINATOR),
        reason=reason,
    )


@pytest.fixture
def location(db):
    return billable_location()


@pytest.fixture
def maria(db):
    return patient(user__first_name="Maria", user__last_name="Lopez")


def test_issue_copies_prices_codes_names_and_dates(location, maria):
    estimate = issue(maria, location)
    assert re.fullmatch(r"E-\d{4}-\d{5}", estimate.number)
    assert estimate.version == 1
    assert estimate.label == f"{estimate.number} v1"
    assert estimate.patient_name == "Maria Lopez"
    assert estimate.patient_date_of_birth == dt.date(1984, 5, 17)
    assert estimate.facility_npi == "1234567893"
    assert estimate.provider_name == "Dev Patel, MD"
    assert (estimate.total_low, estimate.total_high) == (D("2750.00"), D("2889.80"))
    assert estimate.package_discount == D("300.00")
    assert estimate.deposit_due == D("250.00")
    assert estimate.diagnosis_codes == ["G43.709"]
    assert estimate.scheduled_starts == starts(9, 16, 23, 30)
    lines = list(estimate.lines.values_list("service_code", "quantity", "amount"))
    assert lines == [
        ("99205", 1, D("450.00")),
        ("96365", 4, D("2600.00")),
        ("", 1, D("-300.00")),
        ("J2405", 4, D("139.80")),
    ]


def test_a_fee_schedule_change_after_issue_leaves_the_issued_estimate_unchanged(location, maria):
    estimate = issue(maria, location)
    FeeItem.objects.filter(kind=FeeItemKind.INFUSION).update(unit_price=D("999.00"))
    fee_schedule(location, effective_date=dt.date(2026, 2, 1), packages={})
    estimate.refresh_from_db()
    assert estimate.total_low == D("2750.00")
    assert estimate.lines.get(service_code="96365").unit_price == D("650.00")
    assert estimate.fee_schedule_effective_date == dt.date(2026, 1, 1)


def test_the_fee_schedule_version_in_effect_on_the_first_session_is_used(location, maria):
    newer = [
        (FeeItemKind.CONSULTATION, "99205", "Initial consultation", "500.00", False),
        (FeeItemKind.INFUSION, "96365", "IV infusion with monitoring", "700.00", False),
    ]
    fee_schedule(location, effective_date=dt.date(2026, 3, 20), items=newer, packages={})
    assert estimate_quote(
        location=location, infusion_count=1, on_date=dt.date(2026, 3, 19)
    ).total_low == D("1100.00")
    assert estimate_quote(
        location=location, infusion_count=1, on_date=dt.date(2026, 3, 20)
    ).total_low == D("1200.00")
    later = estimate_issue(
        patient=maria,
        location=location,
        infusion_count=1,
        scheduled_starts=starts(23),
        diagnosis_codes=["G43.709"],
        issued_by=UserFactory(role=Role.COORDINATOR),
        reason="Booked",
    )
    assert later.total_high == D("1200.00")
    assert later.fee_schedule_effective_date == dt.date(2026, 3, 20)


def test_a_course_change_issues_v2_and_v1_stays_readable(location, maria):
    v1 = issue(maria, location)
    other = billable_location(time_zone="America/Los_Angeles")
    v2 = issue(maria, other, n=6, dates=(9, 11, 13, 16, 18, 20), reason="Six infusions instead")
    assert (v2.number, v2.version) == (v1.number, 2)
    assert v2.total_low == D("3750.00")
    history = estimates_for_patient(patient=maria)
    assert [e.version for e in history] == [2, 1]
    assert history[1].total_low == D("2750.00")
    assert history[1].location_name == v1.location_name


def test_each_patient_gets_their_own_number(location, maria):
    first = issue(maria, location)
    second = issue(patient(), location)
    assert first.number != second.number
    assert int(second.number[-5:]) == int(first.number[-5:]) + 1


def test_the_database_refuses_to_change_or_delete_an_issued_estimate(location, maria):
    estimate = issue(maria, location)
    with pytest.raises(IntegrityError), transaction.atomic():
        Estimate.objects.filter(pk=estimate.pk).update(total_low=D("1.00"))
    with pytest.raises(IntegrityError), transaction.atomic():
        EstimateLine.objects.filter(estimate=estimate).update(amount=D("0"))
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM billing_estimateline WHERE estimate_id = %s", [estimate.pk])
    assert Estimate.objects.get(pk=estimate.pk).total_low == D("2750.00")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"n": 7}, "1 to 6"),
        ({"n": 2, "dates": (9, 10, 11)}, "more scheduled dates than infusions"),
        ({"codes": ("migraine",)}, "not an ICD-10-CM code"),
        ({"codes": ()}, "at least one diagnosis code"),
        ({"reason": "  "}, "Say why"),
    ],
)
def test_issue_refuses_bad_input_with_a_readable_message(location, maria, kwargs, message):
    with pytest.raises(ApplicationError, match=message):
        issue(maria, location, **kwargs)
    assert not Estimate.objects.exists()


def test_issue_refuses_a_patient_without_profile_or_a_location_without_billing_setup(maria):
    bare = LocationFactory()
    with pytest.raises(ApplicationError, match="no billing identity"):
        issue(maria, bare)
    with pytest.raises(ApplicationError, match="no profile"):
        issue(UserFactory(role=Role.PATIENT), billable_location())
    with pytest.raises(ApplicationError, match="patients only"):
        issue(UserFactory(role=Role.COORDINATOR), billable_location())


def test_quote_without_a_fee_schedule_says_so(db):
    with pytest.raises(ApplicationError, match="no fee schedule"):
        estimate_quote(location=LocationFactory(), infusion_count=2)


def test_issue_meets_the_patients_open_gfe_obligations(location, maria):
    obligation = gfe_record_request(patient=maria, location=location)
    estimate = issue(maria, location)
    obligation.refresh_from_db()
    assert obligation.met_by == estimate
    assert obligation.met_at == estimate.issued_at


def test_acknowledgement_is_recorded_once_with_its_time_and_only_by_the_patient(location, maria):
    estimate = issue(maria, location)
    with pytest.raises(ApplicationError):
        estimate_acknowledge(estimate=estimate, patient=patient())
    first = estimate_acknowledge(estimate=estimate, patient=maria)
    again = estimate_acknowledge(estimate=estimate, patient=maria)
    assert again.acknowledged_at == first.acknowledged_at
    assert first.acknowledged_at.tzinfo is not None


@pytest.mark.django_db(transaction=True)
def test_two_coordinators_issuing_at_once_get_consecutive_versions():
    location = billable_location()
    who = patient()
    coordinators = [UserFactory(role=Role.COORDINATOR) for _ in range(4)]
    errors = []
    barrier = threading.Barrier(4)

    def run(coordinator):
        try:
            barrier.wait()
            estimate_issue(
                patient=who,
                location=location,
                infusion_count=2,
                scheduled_starts=[],
                diagnosis_codes=["G43.909"],
                issued_by=coordinator,
                reason="Race",
            )
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(c,)) for c in coordinators]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    rows = list(Estimate.objects.filter(patient=who).values_list("number", "version"))
    assert sorted(v for _, v in rows) == [1, 2, 3, 4]
    assert len({n for n, _ in rows}) == 1
    assert GfeObligation.objects.count() == 0
