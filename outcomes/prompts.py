"""The daily diary prompt and the one nudge, planned by a periodic task (outcomes.tasks). Each
message has a dedupe key per plan and day, so a second run (or two workers) sends nothing twice;
the plan's prompted_on keeps each run from re-reading plans already done today."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import Q

from clinic.messaging.services import message_schedule, recipient_zone

from .links import diary_url
from .models import DiaryDay, OutcomePlan, PlanStatus
from .services import (
    DIARY_PROMPT_HOUR,
    MISSED_DAYS_FOR_NUDGE,
    _diary_topic,
    _prompt_channel,
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


def _nudge_owed(plan: OutcomePlan, today: dt.date, answered: set[dt.date]) -> bool:
    if plan.nudged_on is not None:
        return False
    missed = [today - dt.timedelta(days=n) for n in range(1, MISSED_DAYS_FOR_NUDGE + 1)]
    return missed[-1] >= plan.diary_starts_on and not answered.intersection(missed)


def diary_prompts_send(*, now: dt.datetime) -> int:
    """Plan this evening's diary prompt for every active plan whose patient has reached the
    prompt hour and not answered today, as a nudge instead when they missed the 3 days before
    (once per plan). Returns how many messages were planned."""
    planned = 0
    plans = list(_due_plans(now))
    recent = now.date() - dt.timedelta(days=MISSED_DAYS_FOR_NUDGE + 2)
    answered: dict[int, set[dt.date]] = {}
    for plan_id, day in DiaryDay.objects.filter(
        plan__in=[p.pk for p in plans], day__gte=recent
    ).values_list("plan_id", "day"):
        answered.setdefault(plan_id, set()).add(day)
    for plan in plans:
        zone = recipient_zone(plan.patient)
        local = now.astimezone(zone)
        today = local.date()
        if local.hour < DIARY_PROMPT_HOUR or (plan.prompted_on and plan.prompted_on >= today):
            continue
        if today < plan.diary_starts_on or (plan.diary_ends_on and today > plan.diary_ends_on):
            continue
        days = answered.get(plan.pk, set())
        if today in days:
            continue
        nudge = _nudge_owed(plan, today, days)
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
