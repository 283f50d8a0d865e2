"""Status changes of courses and sessions, each with its history row, by the allowed transitions."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django.utils.translation import gettext as _

from clinic.errors import ApplicationError
from clinic.models import User

from ..availability import rules_for
from ..models import (
    Course,
    CourseStatusChange,
    InfusionSession,
    SessionStatusChange,
)


def _course_set_status(*, course: Course, status: str, by: User | None, reason: str = "") -> None:
    if not course.can_become(status):
        raise ApplicationError(
            _("This course is %(status)s and cannot change that way.")
            % {"status": course.get_status_display().lower()}
        )
    CourseStatusChange.objects.create(
        course=course, from_status=course.status, to_status=status, changed_by=by, reason=reason
    )
    course.status = status
    course.save(update_fields=["status", "decline_reason", "updated_at"])


def _session_set_status(session: InfusionSession, status: str, by: User | None) -> None:
    if not session.can_become(status):
        raise ApplicationError(
            _("This session is %(status)s and cannot change that way.")
            % {"status": session.get_status_display().lower()},
            code="session_state",
        )
    SessionStatusChange.objects.create(
        session=session, from_status=session.status, to_status=status, changed_by=by
    )
    session.status = status
    session.changed_by = by
    session.status_changed_at = timezone.now()
    session.save(
        update_fields=["status", "changed_by", "status_changed_at", "late_change", "updated_at"]
    )


def is_late_change(session: InfusionSession, now: dt.datetime | None = None) -> bool:
    """Would cancelling or moving this session now count as a late cancellation?"""
    now = now or timezone.now()
    return session.starts_at - now < rules_for(session.location).change_notice
