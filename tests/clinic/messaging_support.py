"""A gateway for tests: it stands in for what leaves the machine, behind the real interface."""

import threading

SENT: list[tuple[int, str, str]] = []
_lock = threading.Lock()


class RecordingGateway:
    def send(self, message) -> str:
        with _lock:
            SENT.append((message.pk, message.channel, message.body))
            return f"rec-{len(SENT)}"

    def find_sent(self, message, *, since) -> str | None:
        with _lock:
            count = sum(1 for pk, _channel, _body in SENT if pk == message.pk)
        return f"rec-found-{message.pk}" if count else None
