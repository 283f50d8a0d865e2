"""Payments tests talk to a real, stateful Stripe-compatible server (localstripe from PyPI, in
tests/support/stripe_server.py) on a free loopback port, through the official stripe library."""

import json
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]
PUBLISHABLE = "pk_test_portal"
WEBHOOK_SECRET = "whsec_test_portal_secret"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class StripeServer:
    def __init__(self, tmp: Path):
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.record = tmp / "stripe-received.jsonl"
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.support.stripe_server",
                "--port",
                str(self.port),
                "--record",
                str(self.record),
            ],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("localstripe did not start")

    def received(self) -> list[dict]:
        """Every request body the server received (POST/DELETE under /v1/)."""
        if not self.record.exists():
            return []
        return [json.loads(line) for line in self.record.read_text().splitlines()]

    def get(self, path: str) -> dict:
        response = requests.get(
            self.url + path, headers={"Authorization": "Bearer sk_test_portal"}, timeout=10
        )
        response.raise_for_status()
        return response.json()

    def confirm_setup(self, client_secret: str, number: str = "4242424242424242") -> dict:
        """What Stripe.js does in the patient's browser: the card goes to Stripe, never to us."""
        seti = client_secret.split("_secret_")[0]
        response = requests.post(
            f"{self.url}/v1/setup_intents/{seti}/confirm",
            json={
                "key": PUBLISHABLE,
                "client_secret": client_secret,
                "payment_method_data": {
                    "type": "card",
                    "card": {"number": number, "exp_month": 12, "exp_year": 2030, "cvc": "123"},
                },
            },
            timeout=10,
        )
        return response.json()

    def close(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:  # a held request keeps aiohttp's shutdown waiting
            self.process.kill()
            self.process.wait(timeout=5)


@pytest.fixture(scope="session")
def stripe_server(tmp_path_factory):
    server = StripeServer(tmp_path_factory.mktemp("stripe"))
    yield server
    server.close()


@pytest.fixture
def stripe_on(settings, stripe_server):
    """Payments configured, against the local server."""
    settings.STRIPE_SECRET_KEY = "sk_test_portal"
    settings.STRIPE_PUBLISHABLE_KEY = PUBLISHABLE
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.STRIPE_API_BASE = stripe_server.url
    settings.STRIPE_JS_URL = f"{stripe_server.url}/js.stripe.com/v3/"
    return stripe_server
