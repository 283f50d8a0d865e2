"""The clinic-scale generator (manage.py seed_scale), at a tiny scale: what it loads keeps every
rule the database and the services keep, and the same seed gives the same clinic."""

import datetime as dt
from collections import Counter

import pytest
from django.db import transaction
from django.db.models import Count, F, Q
from django.urls import Resolver404, resolve

from bench.accounts import bench_runner
from bench.load import _page_targets
from bench.scale import seed_scale
from billing.models import FacilityBillingIdentity, FeeSchedule
from clinic.messaging.models import Message
from clinic.models import Role, User
from intake.models import IntakeCase, Referral, ReferringProvider
from scheduling.models import (
    ACTIVE_SESSION_STATUSES,
    Course,
    InfusionSession,
    Location,
    StaffShift,
)

NOW = dt.datetime(2026, 11, 25, 15, 0, tzinfo=dt.UTC)


class _Rollback(Exception):
    pass


def _snapshot() -> list:
    return list(
        InfusionSession.objects.order_by("starts_at", "chair__name", "patient__email").values_list(
            "patient__email", "chair__name", "starts_at", "status", "slot"
        )
    )


@pytest.mark.django_db
def test_tiny_scale_loads_a_consistent_clinic():
    counts = seed_scale(scale=0.002, seed=7, now=NOW, log=lambda *_: None)

    assert counts["scheduling_course"] >= 120
    assert Referral.objects.count() == counts["intake_referral"]
    # Each provider's count of referrals is their referrals' number, as the trigger keeps it;
    # the load counted them at its end, and the trigger counts the referrals that come after.
    assert not ReferringProvider.objects.annotate(n=Count("referrals")).exclude(
        referral_count=F("n")
    )
    assert ReferringProvider.objects.filter(referral_count__gt=0).exists()
    assert IntakeCase.objects.open().count() == 100
    # Every patient came from a referral that names them and their first course.
    patients = User.objects.filter(role=Role.PATIENT)
    assert patients.count() == Referral.objects.filter(patient__isnull=False).count()
    assert not Referral.objects.filter(patient__isnull=False, course__isnull=True).exists()
    # Each first course keeps its referral's diagnosis, as intake copies it; the rest have none.
    for referral in Referral.objects.filter(course__isnull=False).select_related("course")[:50]:
        assert referral.course.diagnosis_codes == [referral.diagnosis_code]
    assert not Course.objects.filter(referral__isnull=True).exclude(diagnosis_codes=[]).exists()
    # At most one open course per patient; active places never above the plan.
    open_per_patient = Counter(
        Course.objects.filter(status__in=["active", "awaiting_review"]).values_list(
            "patient_id", flat=True
        )
    )
    assert max(open_per_patient.values()) == 1
    active = InfusionSession.objects.filter(status__in=ACTIVE_SESSION_STATUSES)
    assert not active.filter(slot__gt=F("course__planned_sessions")).exists()
    assert not InfusionSession.objects.exclude(
        course_planned_sessions=F("course__planned_sessions")
    ).exists()
    per_course = active.values("course").annotate(n=Count("id"), slots=Count("slot", distinct=True))
    assert all(row["n"] == row["slots"] for row in per_course)
    # Sessions keep to opening hours and have staff on duty.
    for session in InfusionSession.objects.select_related("location")[:50]:
        local = session.starts_at.astimezone(session.location.time_zone)
        assert dt.time(7) <= local.time() and session.ends_at.astimezone(
            session.location.time_zone
        ).time() <= dt.time(22)
        assert StaffShift.objects.filter(
            location=session.location,
            starts_at__lte=session.starts_at,
            ends_at__gt=session.starts_at,
        ).exists()
    # Every location bills, so a booking anywhere issues a Good Faith Estimate as it would live.
    locations = Location.objects.all()
    assert locations.count() == 3
    assert FacilityBillingIdentity.objects.filter(location__in=locations).count() == 3
    assert len(set(FacilityBillingIdentity.objects.values_list("legal_name", flat=True))) == 3
    assert FeeSchedule.objects.filter(location__in=locations).count() == 3
    # Reminders carry the dedupe keys the services write, and only the future waits.
    message = Message.objects.filter(topic__startswith="session:").first()
    session = InfusionSession.objects.get(pk=int(message.topic.split(":")[1]))
    assert message.dedupe_key.endswith(session.starts_at.isoformat())
    assert not Message.objects.filter(status="scheduled", send_after__lte=NOW).exists()
    assert not Message.objects.filter(Q(status="sent") & Q(sent_at__isnull=True)).exists()

    with pytest.raises(RuntimeError, match="already loaded"):
        seed_scale(scale=0.002, seed=7, now=NOW, log=lambda *_: None)
    # After the load the trigger counts again (it was off only in the load's own transaction).
    provider = ReferringProvider.objects.filter(referral_count__gt=0).first()
    Referral.objects.filter(pk=Referral.objects.filter(provider=provider).first().pk).delete()
    provider.refresh_from_db()
    assert provider.referral_count == Referral.objects.filter(provider=provider).count()


@pytest.mark.django_db
def test_the_same_seed_gives_the_same_clinic():
    snapshots = []
    for seed in (7, 7, 8):
        try:
            with transaction.atomic():
                seed_scale(scale=0.002, seed=seed, now=NOW, log=lambda *_: None)
                snapshots.append(_snapshot())
                raise _Rollback
        except _Rollback:
            pass
    assert snapshots[0] == snapshots[1]
    assert snapshots[0] != snapshots[2]


def test_bench_views_do_not_exist_outside_the_benchmark_settings():
    with pytest.raises(Resolver404):
        resolve("/bench/floor/1/")


@pytest.mark.django_db
def test_every_course_with_sessions_has_an_outcome_plan_and_a_diary():
    """Issue 22: the diaries the dashboard's responder rates and the providers' reports read."""
    from outcomes.models import DiaryDay, InstrumentResponse, OutcomePlan
    from reporting.operations.outcome_figures import responder_figures

    counts = seed_scale(scale=0.002, seed=7, now=NOW, log=lambda *_: None)
    with_sessions = (
        Course.objects.filter(sessions__status__in=ACTIVE_SESSION_STATUSES).distinct().count()
    )
    assert counts["outcomes_outcomeplan"] == OutcomePlan.objects.count() == with_sessions
    assert counts["outcomes_diaryday"] == DiaryDay.objects.count()
    assert InstrumentResponse.objects.count() == with_sessions
    # No diary day after yesterday, none outside its plan's window, at most 120 per plan.
    yesterday = NOW.date() - dt.timedelta(days=1)
    assert not DiaryDay.objects.filter(day__gt=yesterday).exists()
    assert not DiaryDay.objects.filter(day__lt=F("plan__diary_starts_on")).exists()
    # At most 120 days a plan, up to yesterday; about one day in ten unanswered.
    possible = 0
    for plan in OutcomePlan.objects.annotate(n=Count("diary_days")):
        last = min(yesterday, plan.diary_ends_on, plan.diary_starts_on + dt.timedelta(days=119))
        days = max(0, (last - plan.diary_starts_on).days + 1)
        assert plan.n <= days
        possible += days
    assert 0.8 * possible <= DiaryDay.objects.count() <= 0.97 * possible
    # The dashboard counts every completed course (the tiny scale has a few weeks of history).
    figures = responder_figures(now=NOW)
    completed = OutcomePlan.objects.filter(course_completed_on__isnull=False).count()
    assert figures.total.patients == completed > 0
    assert figures.total.responders <= figures.total.with_figures <= completed


@pytest.mark.django_db
def test_the_benchmark_finds_who_asks_for_each_page():
    """bench/load.py's page scenarios on a tiny clinic: the busiest provider with their list
    and outcome reports, the coordinator, the patients and each location's day view (an
    annotation named as a model field once stopped the run here)."""
    seed_scale(scale=0.002, seed=7, now=NOW, log=lambda *_: None)
    targets = _page_targets(bench_runner())
    busiest = ReferringProvider.objects.order_by("-referral_count").first()
    assert targets["provider_key"] and targets["coordinator_key"]
    assert targets["patients"] and targets["chart_paths"] and targets["search_paths"]
    assert len(targets["day_paths"]) == len(targets["location_ids"]) > 0
    references = [path.split("/")[2] for path, _key in targets["report_paths"]]
    assert set(references) <= set(busiest.referrals.values_list("reference", flat=True))
