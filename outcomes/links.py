"""Signed links in texts and e-mails that let a patient answer without signing in (the same
django.core.signing mechanism as scheduling's action links). A diary link names its plan and its
day: it records that day once (the unique diary day decides) and expires at the end of the next
day. A questionnaire link names its plan and time point: answered once, valid for 30 days from
when its message is sent (a follow-up's text is written when the course ends and sent 1 or 3
months later, so the link's age is not counted from its signature)."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from clinic.errors import ApplicationError

from .models import OutcomePlan, PlanStatus, TimePoint

DIARY_SALT = "outcomes.diary-day"
QUESTIONNAIRE_SALT = "outcomes.questionnaire"
# Sent in the evening for that day; still answerable the next day, never later.
DIARY_LINK_MAX_AGE = dt.timedelta(hours=48)
QUESTIONNAIRE_LINK_MAX_AGE = dt.timedelta(days=30)
# No questionnaire link outlives this, whatever it says: the 3-month one is signed at the end of
# the course and works until 30 days after it is sent (120 days), plus calling-hours slack.
QUESTIONNAIRE_LINK_OUTER_AGE = dt.timedelta(days=130)


def _absolute(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def diary_url(*, plan: OutcomePlan, day: dt.date) -> str:
    token = signing.dumps({"p": plan.pk, "d": day.isoformat()}, salt=DIARY_SALT, compress=True)
    return _absolute(reverse("outcomes:diary_link", args=[token]))


def questionnaire_url(
    *, plan: OutcomePlan, time_point: str, sent_at: dt.datetime | None = None
) -> str:
    """A link that works for QUESTIONNAIRE_LINK_MAX_AGE from `sent_at` (when its message goes;
    now by default)."""
    expires = (sent_at or timezone.now()) + QUESTIONNAIRE_LINK_MAX_AGE
    token = signing.dumps(
        {"p": plan.pk, "t": time_point, "x": int(expires.timestamp())},
        salt=QUESTIONNAIRE_SALT,
        compress=True,
    )
    return _absolute(reverse("outcomes:questionnaire_link", args=[token]))


def _gone() -> ApplicationError:
    return ApplicationError(
        _("This link no longer works. Sign in to answer from your page, or call the clinic."),
        code="link_gone",
    )


def _load(token: str, salt: str, max_age: dt.timedelta) -> dict:
    try:
        data = signing.loads(token, salt=salt, max_age=max_age.total_seconds())
    except signing.BadSignature as exc:
        raise _gone() from exc
    if not isinstance(data, dict) or not isinstance(data.get("p"), int):
        raise _gone()
    return data


def _active_plan(plan_id: int) -> OutcomePlan:
    plan = (
        OutcomePlan.objects.select_related("patient__patient_profile", "course")
        .filter(pk=plan_id, status=PlanStatus.ACTIVE)
        .first()
    )
    if plan is None:
        raise _gone()
    return plan


def diary_link_resolve(token: str) -> tuple[OutcomePlan, dt.date]:
    """The plan and day behind a diary token. Raises ApplicationError (code link_gone) when the
    signature is bad or old, or the plan was stopped."""
    data = _load(token, DIARY_SALT, DIARY_LINK_MAX_AGE)
    try:
        day = dt.date.fromisoformat(str(data.get("d")))
    except ValueError as exc:
        raise _gone() from exc
    return _active_plan(data["p"]), day


def questionnaire_link_resolve(token: str) -> tuple[OutcomePlan, str]:
    data = _load(token, QUESTIONNAIRE_SALT, QUESTIONNAIRE_LINK_OUTER_AGE)
    if data.get("t") not in TimePoint.values:
        raise _gone()
    expires = data.get("x")
    if "x" not in data:
        # Links sent before they carried their end: 30 days from the signature, as then.
        _load(token, QUESTIONNAIRE_SALT, QUESTIONNAIRE_LINK_MAX_AGE)
    elif type(expires) is not int or timezone.now().timestamp() > expires:
        raise _gone()
    return _active_plan(data["p"]), data["t"]
