"""PostgreSQL restarted under load (docs/FAULTS.md): a signed-in patient's page and /healthz are
asked for by CONCURRENCY threads against a running portal while the caller restarts PostgreSQL;
prints, as JSON, every non-200 answer's count, the error window (first to last failed request)
and how many lines the portal's log grew by.

    python bench/fault_pg_restart.py --base http://127.0.0.1:8766 --log var/fault/gunicorn.log \
        --restart "runuser -u postgres -- pg_ctl -D DATA restart -m fast" --seconds 20

The portal must hold the demo data (manage.py seed_demo): it signs in as the demo patient."""

import argparse
import json
import re
import shlex
import subprocess
import threading
import time
from collections import Counter
from pathlib import Path

import requests

PATIENT = ("patient@mail.example", "demo-pass-2026")


def sign_in(base: str) -> requests.Session:
    session = requests.Session()
    page = session.get(f"{base}/accounts/login/", timeout=10)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    answer = session.post(
        f"{base}/accounts/login/",
        data={"username": PATIENT[0], "password": PATIENT[1], "csrfmiddlewaretoken": token},
        headers={"Referer": f"{base}/accounts/login/"},
        timeout=10,
    )
    answer.raise_for_status()
    assert "sessionid" in session.cookies, "the demo patient could not sign in"
    return session


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", required=True)
    parser.add_argument("--log", required=True, type=Path)
    parser.add_argument("--restart", required=True, help="the command that restarts PostgreSQL")
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--restart-at", type=float, default=5)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()

    cookie = sign_in(args.base).cookies["sessionid"]
    results: list[tuple[float, str, int]] = []
    lock = threading.Lock()
    stop = time.monotonic() + args.seconds

    def load(path: str) -> None:
        session = requests.Session()
        session.cookies.set("sessionid", cookie)
        while time.monotonic() < stop:
            started = time.monotonic()
            try:
                status = session.get(f"{args.base}{path}", timeout=10).status_code
            except requests.RequestException:
                status = 0  # no answer at all
            with lock:
                results.append((started, path, status))

    log_before = args.log.read_text().count("\n")
    threads = [
        threading.Thread(target=load, args=("/my/" if n % 4 else "/healthz",))
        for n in range(args.concurrency)
    ]
    began = time.monotonic()
    for thread in threads:
        thread.start()
    time.sleep(args.restart_at)
    restart_started = time.monotonic() - began
    # The operator's own command line, as they would type it.
    subprocess.run(shlex.split(args.restart), check=True, capture_output=True)  # noqa: S603
    restart_took = time.monotonic() - began - restart_started
    for thread in threads:
        thread.join()
    time.sleep(1)
    log_lines = args.log.read_text().count("\n") - log_before

    failed = [(t - began, path, status) for t, path, status in results if status != 200]
    print(
        json.dumps(
            {
                "requests": len(results),
                "answers": dict(Counter(f"{path} {status}" for _, path, status in results)),
                "restart_started_s": round(restart_started, 2),
                "restart_took_s": round(restart_took, 2),
                "error_window_s": round(failed[-1][0] - failed[0][0], 2) if failed else 0,
                "first_error_s": round(failed[0][0], 2) if failed else None,
                "last_error_s": round(failed[-1][0], 2) if failed else None,
                "log_lines_during_run": log_lines,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
