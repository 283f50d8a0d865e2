"""The development e-mail back-end: the terminal (and the worker's log, which may be shared or
kept) shows that an e-mail went out, to whom and about what, never a working link. The whole
message is kept in a private folder for the developer who needs to follow the link."""

import re
import sys
import threading
from pathlib import Path

from django.conf import settings
from django.core.mail.backends.base import BaseEmailBackend
from django.utils import timezone
from django.utils.crypto import get_random_string

# A link's path segments and query values of 16 or more token-like characters: invitation,
# password-reset and session-action tokens.
_TOKEN = re.compile(r"(?<=[/=])[A-Za-z0-9_\-:.]{16,}")
_LINK = re.compile(r"https?://\S+")


def redact_links(text: str) -> str:
    return _LINK.sub(lambda m: _TOKEN.sub("…", m.group(0)), text)


def _mask_address(address: str) -> str:
    local, _at, domain = address.rpartition("@")
    return f"{local[:1]}…@{domain}" if local else "…"


class RedactedConsoleEmailBackend(BaseEmailBackend):
    def __init__(self, *args, stream=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.stream = stream or sys.stdout
        self.folder = Path(getattr(settings, "DEV_MAIL_DIR", settings.BASE_DIR / "var" / "mail"))
        self._lock = threading.RLock()

    def send_messages(self, email_messages) -> int:
        sent = 0
        with self._lock:
            for message in email_messages:
                saved = self._save(message)
                body = message.body if isinstance(message.body, str) else ""
                lines = [
                    "--- e-mail (development: links' tokens masked) ---",
                    f"To: {', '.join(_mask_address(a) for a in message.recipients())}",
                    f"Subject: {message.subject}",
                    redact_links(body),
                    f"(whole message: {saved})",
                    "",
                ]
                self.stream.write("\n".join(lines) + "\n")
                self.stream.flush()
                sent += 1
        return sent

    def _save(self, message) -> Path:
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        name = f"{timezone.now():%Y%m%d-%H%M%S}-{get_random_string(6)}.eml"
        path = self.folder / name
        path.write_bytes(message.message().as_bytes())
        path.chmod(0o600)
        return path
