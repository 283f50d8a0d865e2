"""Signed, single-use links in e-mails and texts that let a patient cancel or move a session
without signing in, and the text that answers R with one."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from clinic.errors import ApplicationError
from clinic.messaging.models import Channel
from clinic.messaging.services import _standard_context, template_render

from .models import InfusionSession, SessionActionLink, SessionStatus

ACTION_LINK_SALT = "scheduling.session-action"
ACTION_LINK_MAX_AGE = dt.timedelta(days=60)


def session_action_url(*, session: InfusionSession, kind: str) -> str:
    """A signed, single-use path (no host) for e-mails and texts: opening it only shows a page
    whose button does the action. kind is 'cancel' or 'reschedule'."""
    link = SessionActionLink.objects.create(session=session, kind=kind)
    return action_link_path(str(link.nonce))


def session_action_links_create(
    *, sessions: list[InfusionSession], kinds: tuple[str, ...] = ("cancel", "reschedule")
) -> dict[str, dict[str, str]]:
    """One link of each kind for every session, in one INSERT. Returns {session id (text):
    {kind: nonce}}: what action_link_path makes a path of when the message is written."""
    links = [SessionActionLink(session=s, kind=kind) for s in sessions for kind in kinds]
    SessionActionLink.objects.bulk_create(links)
    nonces: dict[str, dict[str, str]] = {}
    for link in links:
        nonces.setdefault(str(link.session_id), {})[link.kind] = str(link.nonce)
    return nonces


def action_link_path(nonce: str) -> str:
    """The signed path of the link with this nonce."""
    token = signing.dumps({"n": nonce}, salt=ACTION_LINK_SALT, compress=True)
    return reverse("scheduling:action_link", args=[token])


def action_link_resolve(token: str, *, for_update: bool = False) -> SessionActionLink:
    """The link behind a token, if it still works. Raises ApplicationError when the signature
    is bad or old, the link was used, or its session is no longer booked (cancelled, moved)."""
    gone = ApplicationError(
        _("This link no longer works. Sign in to see your sessions, or call the clinic."),
        code="link_gone",
    )
    try:
        data = signing.loads(
            token, salt=ACTION_LINK_SALT, max_age=ACTION_LINK_MAX_AGE.total_seconds()
        )
    except signing.BadSignature as exc:
        raise gone from exc
    links = SessionActionLink.objects.select_related(
        "session__course__session_type", "session__location", "session__patient"
    )
    if for_update:
        # FOR UPDATE: two clicks on one link must not both act (single use).
        links = links.select_for_update(of=("self",))
    link = links.filter(nonce=data.get("n")).first()
    if link is None or link.used_at is not None:
        raise gone
    if link.session.status != SessionStatus.BOOKED:
        raise gone
    return link


def reschedule_link_reply(*, user, reply=None, now: dt.datetime | None = None) -> str | None:
    """MESSAGING_RESCHEDULE_HOOK: the patient texted R (or "cambiar"). The answer, in their
    language, carries a signed link to move their next booked session; None when nothing is
    booked (the reply then waits for a coordinator)."""
    now = now or timezone.now()
    session = (
        InfusionSession.objects.filter(patient=user, status=SessionStatus.BOOKED, starts_at__gt=now)
        .order_by("starts_at")
        .first()
    )
    if session is None:
        return None
    link = settings.SITE_URL.rstrip("/") + session_action_url(session=session, kind="reschedule")
    language = user.preferred_language or "en"
    context = _standard_context(
        user, language, {"event_start": session.starts_at, "link": link}, sent_at=now
    )
    return template_render(
        key="reschedule_link", channel=Channel.SMS, language=language, context=context
    )[1]
