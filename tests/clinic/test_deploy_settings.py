import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _check_deploy(extra_env):
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "clinic.settings.production", **extra_env}
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # set for the test run only
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_production_settings_pass_check_deploy():
    result = _check_deploy(
        {
            "SECRET_KEY": "x" * 20 + "a-long-random-production-secret-0123456789",
            "ALLOWED_HOSTS": "portal.clinic.example",
        }
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_refuses_to_start_without_a_secret_key():
    env = {"ALLOWED_HOSTS": "portal.clinic.example"}
    result = _check_deploy(env | {"SECRET_KEY": ""})
    assert result.returncode != 0
