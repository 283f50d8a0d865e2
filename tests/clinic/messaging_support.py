"""A gateway for tests: it stands in for what leaves the machine, behind the real interface."""

import threading

SENT: list[tuple[int, str, str]] = []
_lock = threading.Lock()


class RecordingGateway:
    def send(self, message) -> str:
        with _lock:
            SENT.append((message.pk, message.channel, message.body))
            return f"rec-{len(SENT)}"
