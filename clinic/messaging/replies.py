"""What an inbound text means. A patient may revoke consent to texts and calls "in any
reasonable manner" (FCC 24-24, 47 CFR 64.1200(a)(10)): the usual keywords in English and Spanish,
and short free text that says it. A reply that may be a revocation is treated as one (texting
stops) and flagged for a coordinator, who can read it and call the patient."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from .models import ReplyAction


@dataclass(frozen=True)
class Reading:
    action: str
    needs_attention: bool
    # The language the words were in ("en", "es"), or "" when they do not tell: the answer
    # goes in that language when the number belongs to nobody we know.
    language: str = ""


def normalize(text: str) -> str:
    """Lower case, without accents or punctuation, single spaces: 'NO MÁS!' -> 'no mas'."""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    return " ".join(re.sub(r"[\W_]+", " ", bare).split())


# A whole reply that is one of these words (after normalize): (action, language, flagged).
# CANCEL and CANCELAR revoke consent as the rule requires, but the patient may have meant the
# appointment, so a coordinator is asked to look. A bare "no" might mean anything: texting stops
# (the conservative reading) and a coordinator checks.
_OPT_OUT, _OPT_IN = ReplyAction.OPT_OUT, ReplyAction.OPT_IN
KEYWORDS: dict[str, tuple[str, str, bool]] = {
    **dict.fromkeys(
        ["stop", "stopall", "stop all", "unsubscribe", "end", "quit", "revoke", "optout"],
        (_OPT_OUT, "en", False),
    ),
    "opt out": (_OPT_OUT, "en", False),
    "cancel": (_OPT_OUT, "en", True),
    **dict.fromkeys(
        ["alto", "parar", "para", "pare", "basta", "no mas", "nomas", "detener", "baja"],
        (_OPT_OUT, "es", False),
    ),
    "cancelar": (_OPT_OUT, "es", True),
    "no": (_OPT_OUT, "", True),
    **dict.fromkeys(["start", "unstop", "yes"], (_OPT_IN, "en", False)),
    **dict.fromkeys(["comenzar", "reanudar", "si", "iniciar", "alta"], (_OPT_IN, "es", False)),
    **dict.fromkeys(["help", "info"], (ReplyAction.HELP, "en", False)),
    "ayuda": (ReplyAction.HELP, "es", False),
    **dict.fromkeys(["c", "confirm"], (ReplyAction.CONFIRM, "en", False)),
    **dict.fromkeys(["confirmar", "confirmo"], (ReplyAction.CONFIRM, "es", False)),
    **dict.fromkeys(["r", "reschedule", "move", "change"], (ReplyAction.RESCHEDULE, "en", False)),
    **dict.fromkeys(
        ["cambiar", "reprogramar", "mover", "cambio"], (ReplyAction.RESCHEDULE, "es", False)
    ),
    **dict.fromkeys(["accept", "take it"], (ReplyAction.ACCEPT, "en", False)),
    **dict.fromkeys(["acepto", "aceptar", "lo tomo"], (ReplyAction.ACCEPT, "es", False)),
}

# Words that take a time offered from the waitlist when one is waiting for an answer. YES and
# SI also opt back in to texts (above): with an offer pending, they answer the offer.
ACCEPT_WORDS = frozenset({"yes", "si", "accept", "take it", "acepto", "aceptar", "lo tomo"})

# Free text that asks us to stop, matched on normalized text. Words that are common in other
# sentences ("para" is also "for", "end", "cancel") count only as a whole reply, above.
_OPT_OUT_EN = re.compile(
    r"\b(stop|unsubscribe|opt out|remove me|take me off|leave me alone|not interested"
    r"|wrong number|no more (texts?|messages?|calls?)"
    r"|(don t|dont|do not) (text|call|message|contact|send)"
    r"|(don t|dont|do not) want (any )?(more )?(these )?(texts?|messages?|calls?))\b"
)
_OPT_OUT_ES = re.compile(
    r"\b(no me (manden|mande|envien|envie|escriban|escriba|llamen|llame|contacten|molesten)"
    r"|no (quiero|deseo) (recibir )?(mas )?(sus )?(mensajes|textos|llamadas)"
    r"|no mas (mensajes|textos|llamadas)|dejen de|deje de|paren|detengan|basta|alto"
    r"|(dar|darme|den|denme) de baja|numero equivocado|no me interesa)\b"
)


def accepts_offer(body: str) -> bool:
    """The reply is one of the words that take an offered time."""
    return normalize(body) in ACCEPT_WORDS


def classify_reply(body: str) -> Reading:
    """What an inbound text asks for. Anything that is not a known keyword is flagged."""
    text = normalize(body)
    if text in KEYWORDS:
        action, language, flagged = KEYWORDS[text]
        return Reading(action, flagged, language)
    if _OPT_OUT_ES.search(text):
        return Reading(ReplyAction.OPT_OUT, True, "es")
    if _OPT_OUT_EN.search(text):
        return Reading(ReplyAction.OPT_OUT, True, "en")
    return Reading(ReplyAction.OTHER, True)
