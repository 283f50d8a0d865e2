"""Gateways for delivery tests that run in real worker processes. They stand in for the
provider's servers (which lie outside the machine) behind the same interface as the real ones,
and leave evidence in files the test reads, since they run in another process."""

import os
import time
import uuid
from pathlib import Path


class HangingGateway:
    """Reached after the claim is committed, then never returns: the worker is killed here."""

    def send(self, message) -> str:
        Path(os.environ["GATEWAY_EVIDENCE"]).write_text(str(message.pk))
        time.sleep(600)
        raise AssertionError("the test should have killed this worker")


class RecordingGateway:
    """Accepts every message and appends its id, one line per hand-over."""

    def send(self, message) -> str:
        with open(os.environ["GATEWAY_EVIDENCE"], "a") as evidence:
            evidence.write(f"{message.pk}\n")
        return f"recorded-{uuid.uuid4().hex[:12]}"
