"""Minimum necessary in what the portal sends: the words no message may contain, and the checks an
edited message template must pass before it is saved (used by the admin form and the tests)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo

from django.conf import settings
from django.template import Context, Template, TemplateSyntaxError
from django.template.base import TextNode, VariableNode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .models import Channel
from .replies import normalize

# Every template gets these (clinic.messaging.services._standard_context); calls also say how to
# stop them.
BASE_VARIABLES = frozenset({"sender_name", "clinic_phone"})
VOICE_VARIABLES = frozenset({"opt_out"})
# A message about an appointment also gets its date and time.
EVENT_VARIABLES = frozenset({"date", "time", "day"})
# Kinds whose renderer passes something else, or nothing about an appointment.
KIND_VARIABLES: dict[str, frozenset[str]] = {
    "portal_invitation": frozenset({"link"}),
    "diary_prompt": frozenset({"link"}),
    "diary_nudge": frozenset({"link"}),
    "questionnaire_prompt": frozenset({"link"}),
    "opt_out_confirmation": frozenset(),
    "opt_in_confirmation": frozenset(),
    "help_reply": frozenset(),
    "confirmation_received": frozenset(),
    "waitlist_offer": EVENT_VARIABLES | {"link", "minutes"},
    "waitlist_offer_earlier": EVENT_VARIABLES | {"link", "minutes"},
    "reschedule_link": EVENT_VARIABLES | {"link"},
    "waitlist_offer_booked": EVENT_VARIABLES,
    "waitlist_offer_gone": frozenset(),
    "waitlist_offer_ran_out": frozenset(),
}

SMS_MAX_CHARACTERS = 160
VOICE_MAX_WORDS = 150  # about a minute, spoken at some 150 words a minute


def allowed_variables(key: str, channel: str) -> frozenset[str]:
    voice = VOICE_VARIABLES if channel == Channel.VOICE else frozenset()
    return BASE_VARIABLES | voice | KIND_VARIABLES.get(key, EVENT_VARIABLES)


@cache
def _forbidden_pattern(words: tuple[str, ...]) -> re.Pattern:
    # Accent- and case-insensitive, whole words, with their plurals ("infusiones").
    alternatives = "|".join(re.escape(normalize(w)) for w in words if normalize(w))
    return re.compile(rf"\b({alternatives})(s|es)?\b")


def forbidden_words_in(text: str) -> list[str]:
    """The MESSAGING_FORBIDDEN_WORDS found in `text` (as written there, without accents)."""
    pattern = _forbidden_pattern(tuple(settings.MESSAGING_FORBIDDEN_WORDS))
    return sorted({m.group(1) for m in pattern.finditer(normalize(text))})


def sample_context(key: str, language: str) -> dict:
    """What a real message of `key` would be rendered with, at its longest: a long date, sent
    the day before ("tomorrow, <date>"). The link (invitations) is left out of lengths."""
    from .services import _standard_context

    zone = ZoneInfo("America/Los_Angeles")
    start = datetime(2026, 9, 30, 12, 45, tzinfo=zone)
    extra = {"event_start": start} if "day" in KIND_VARIABLES.get(key, EVENT_VARIABLES) else {}
    values = _standard_context(None, language, extra, sent_at=start - timedelta(days=1), zone=zone)
    values["link"] = ""
    values.setdefault("minutes", 15)
    return values


def render_sample(*, key: str, language: str, subject: str, body: str) -> tuple[str, str]:
    ctx = Context(sample_context(key, language), autoescape=False)
    return Template(subject).render(ctx).strip(), Template(body).render(ctx).strip()


def _braced(name: str) -> str:
    return "{{ " + name + " }}"


def _variables(source: str) -> tuple[set[str], bool]:
    """The names a template uses, and whether it uses any {% tag %}."""
    nodes = Template(source).nodelist
    names = set()
    for node in nodes.get_nodes_by_type(VariableNode):
        var = node.filter_expression.var
        lookups = getattr(var, "lookups", None)
        if lookups:
            names.add(lookups[0])
    has_tags = any(not isinstance(n, TextNode | VariableNode) for n in nodes)
    return names, has_tags


def template_problems(*, key: str, channel: str, subject: str, body: str) -> dict[str, list[str]]:
    """Why this template must not be saved, by field ({} when it may). Checked: it parses, uses
    only the words its renderer provides and no tags, names nothing in MESSAGING_FORBIDDEN_WORDS
    once rendered in English and Spanish, fits a text (160 characters) or a call (a minute),
    and a call says who is calling, how to stop calls and the number to call back."""
    problems: dict[str, list[str]] = {}
    if _source_problems(problems, allowed_variables(key, channel), subject=subject, body=body):
        return problems
    _rendered_problems(problems, key=key, channel=channel, subject=subject, body=body)
    return problems


def _source_problems(problems: dict, allowed: set, *, subject: str, body: str) -> bool:
    """Adds what is wrong with the texts as written; True when one cannot even be read."""
    unreadable = False
    for field, source in (("subject", subject), ("body", body)):
        try:
            names, has_tags = _variables(source)
        except TemplateSyntaxError as exc:
            problems.setdefault(field, []).append(_("This text cannot be read: %s") % exc)
            unreadable = True
            continue
        if has_tags:
            problems.setdefault(field, []).append(
                _("Only words in double braces can be used, such as {{ date }}; no {% %} tags.")
            )
        unknown = sorted(names - allowed)
        if unknown:
            problems.setdefault(field, []).append(
                ngettext(
                    "%(unknown)s is not a word this message gets (it would show as nothing). "
                    "You can use: %(allowed)s.",
                    "%(unknown)s are not words this message gets (they would show as nothing). "
                    "You can use: %(allowed)s.",
                    len(unknown),
                )
                % {
                    "unknown": ", ".join(_braced(n) for n in unknown),
                    "allowed": ", ".join(_braced(n) for n in sorted(allowed)),
                }
            )
    return unreadable


def _rendered_problems(problems: dict, *, key: str, channel: str, subject: str, body: str) -> None:
    """Adds what is wrong with the texts once rendered: forbidden words, length, a call's
    required parts."""
    # The text is one language's, but its date, time and opt-out words come in either.
    renders = [
        render_sample(key=key, language=language, subject=subject, body=body)
        for language in ("en", "es")
    ]
    for field, index in (("subject", 0), ("body", 1)):
        found = sorted({word for r in renders for word in forbidden_words_in(r[index])})
        if found:
            problems.setdefault(field, []).append(
                _("Messages must not name a drug, a diagnosis or the treatment: %s.")
                % ", ".join(found)
            )
    longest = max((r[1] for r in renders), key=len)
    if channel == Channel.SMS and len(longest) > SMS_MAX_CHARACTERS:
        problems.setdefault("body", []).append(
            _(
                "A text must fit in %(max)s characters; with a long date this one has "
                "%(n)s (a link is not counted)."
            )
            % {"max": SMS_MAX_CHARACTERS, "n": len(longest)}
        )
    words = max(len(r[1].split()) for r in renders)
    if channel == Channel.VOICE and words > VOICE_MAX_WORDS:
        problems.setdefault("body", []).append(
            _("A call must last under a minute (%(max)s words); this one has %(n)s.")
            % {"max": VOICE_MAX_WORDS, "n": words}
        )
    if channel == Channel.VOICE:
        names, _tags = _variables(body)
        missing = sorted({"sender_name", "opt_out", "clinic_phone"} - names)
        if missing:
            problems.setdefault("body", []).append(
                _(
                    "Every call must say who is calling ({{ sender_name }}), then how to stop "
                    "calls ({{ opt_out }}), and give the number to call back "
                    "({{ clinic_phone }}). Missing: %s."
                )
                % ", ".join(_braced(n) for n in missing)
            )
