"""One address for absolute links (SITE_URL): in development it follows the port `./portal run`
serves, so an invitation or a reminder's link never points at port 8000 when the portal runs on
another one; a SITE_URL set in the environment wins."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PRINT = "import django; django.setup(); from django.conf import settings as s; print(s.SITE_URL)"


def settings_urls(**env) -> list[str]:
    ours = ("SITE_URL", "PORT", "PORTAL_PORT", "HOST", "MESSAGING_PUBLIC_BASE_URL")
    environ = {k: v for k, v in os.environ.items() if k not in ours}
    environ.update(DJANGO_SETTINGS_MODULE="clinic.settings.development", **env)
    out = subprocess.run(
        [sys.executable, "-c", PRINT], cwd=ROOT, env=environ, capture_output=True, text=True
    )
    return out.stdout.split()


@pytest.mark.parametrize(
    ("env", "url"),
    [
        ({}, "http://127.0.0.1:8000"),
        ({"PORT": "8765"}, "http://127.0.0.1:8765"),
        ({"PORTAL_PORT": "8766", "HOST": "0.0.0.0"}, "http://127.0.0.1:8766"),
        (
            {"PORT": "8765", "SITE_URL": "https://portal.clinic.example/"},
            "https://portal.clinic.example",
        ),
    ],
)
def test_links_follow_the_address_the_portal_runs_on(env, url):
    assert settings_urls(**env) == [url]
