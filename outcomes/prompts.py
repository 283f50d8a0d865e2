"""The daily diary prompt and the nudge, planned by a periodic task (outcomes.tasks). Each
message has a dedupe key per plan and day, so a second run (or two workers) sends nothing twice;
the plan's prompted_on keeps each run from re-reading plans already done today. The prompt goes
at OUTCOMES_DIARY_PROMPT_HOUR in the patient's zone, kept inside calling hours, through
clinic.messaging (consent, opt-out, calling hours, the neutral wording), as reminders do."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import Max, Q

from clinic.messaging.services import message_schedule, recipient_zone

from .links import diary_url
from .models import DiaryDay, OutcomePlan, PlanStatus
from .services import (
    MISSED_DAYS_FOR_NUDGE,
    _diary_topic,
    _prompt_channel,
    diary_prompt_hour,
)


def _due_plans(now: dt.datetime):
    # Zones run from UTC-10 to UTC-4 (US): a plan whose window covers "today" somewhere lies
    # within a day either side of today in UTC; the exact local test is made per plan.
    utc_today = now.date()
    return (
        OutcomePlan.objects.filter(status=PlanStatus.ACTIVE)
        .filter(diary_starts_on__lte=utc_today + dt.timedelta(days=1))
        .filter(
            Q(diary_ends_on__isnull=True) | Q(diary_ends_on__gte=utc_today - dt.timedelta(days=1))
        )
        .filter(Q(prompted_on__isnull=True) | Q(prompted_on__lt=utc_today + dt.timedelta(days=1)))
        .select_related("patient__patient_profile")
        .order_by("pk")
    )


def _nudge_owed(plan: OutcomePlan, today: dt.date, last_answered: dt.date | None) -> bool:
    """One nudge for each run of 3 or more missed days: the 3 days before today went
    unanswered (all of them inside the diary), and no nudge went since the last answer."""
    if today - dt.timedelta(days=MISSED_DAYS_FOR_NUDGE) < plan.diary_starts_on:
        return False
    if last_answered is not None and last_answered >= today - dt.timedelta(
        days=MISSED_DAYS_FOR_NUDGE
    ):
        return False
    return plan.nudged_on is None or (last_answered is not None and last_answered >= plan.nudged_on)


def diary_prompts_send(*, now: dt.datetime) -> int:
    """Plan this evening's diary prompt for every active plan whose patient has reached the
    prompt hour and not answered today, as a nudge instead when they missed the 3 days before
    (once for each such run of missed days). Returns how many messages were planned."""
    planned = 0
    plans = list(_due_plans(now))
    hour = diary_prompt_hour()
    # Diary days are never later than the patient's today, so the last one says both whether
    # today is answered and how long the silence before it is. Only the last few days are read
    # (an index range, not every plan's whole diary): a run of missed days earns its nudge on
    # its fourth evening, while the answer before it is still inside this window.
    recent = now.date() - dt.timedelta(days=MISSED_DAYS_FOR_NUDGE + 2)
    last_answered = dict(
        DiaryDay.objects.filter(plan__in=[p.pk for p in plans], day__gte=recent)
        .values("plan_id")
        .annotate(last=Max("day"))
        .values_list("plan_id", "last")
    )
    for plan in plans:
        zone = recipient_zone(plan.patient)
        local = now.astimezone(zone)
        today = local.date()
        if local.hour < hour or (plan.prompted_on and plan.prompted_on >= today):
            continue
        if today < plan.diary_starts_on or (plan.diary_ends_on and today > plan.diary_ends_on):
            continue
        last = last_answered.get(plan.pk)
        if last is not None and last >= today:
            continue
        nudge = _nudge_owed(plan, today, last)
        with transaction.atomic():
            message_schedule(
                recipient=plan.patient,
                kind="diary_nudge" if nudge else "diary_prompt",
                send_after=now,
                context={"link": diary_url(plan=plan, day=today)},
                topic=_diary_topic(plan),
                dedupe_key=f"outcomes:diary:{plan.pk}:{today.isoformat()}",
                channel=_prompt_channel(plan.patient),
                # A prompt for today is worth nothing tomorrow.
                not_after=dt.datetime.combine(
                    today + dt.timedelta(days=1), dt.time(0), tzinfo=zone
                ),
            )
            fields = {"prompted_on": today}
            if nudge:
                fields["nudged_on"] = today
            OutcomePlan.objects.filter(pk=plan.pk).update(**fields)
        planned += 1
    return planned
