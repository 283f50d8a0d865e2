"""Real Celery workers for the exactly-once tests: started on the test's database, Redis and
clock, killed with SIGKILL (as a machine losing power would), and waited on. Used by the
messaging and the payments worker-death tests."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings
from django.db import connection

from tests.clock import worker_env

ROOT = Path(__file__).resolve().parents[2]


def start_worker(**extra_env: str) -> subprocess.Popen:
    """A solo-pool worker in its own process group, sharing the test's database (the test
    database, not the configured one), Redis and frozen clock; `extra_env` sets the gateway."""
    db = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "clinic.settings.test",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "TEST_REDIS_URL": settings.REDIS_URL,
        **worker_env(),  # the worker shares the test's clock
        **extra_env,
    }
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.support.clocked_celery",
            "-A",
            "clinic",
            "worker",
            "--pool=solo",
            "--loglevel=WARNING",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def kill(worker: subprocess.Popen | None) -> None:
    """SIGKILL the worker's whole process group: no shutdown, no acknowledgement."""
    if worker and worker.poll() is None:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(timeout=10)


def wait_for(predicate, seconds: float = 30) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False
