"""Lighthouse 12 on every page a patient sees, signed in as the demo patient; the scores go to
docs/LIGHTHOUSE.md with the date and the command.

    npm install --prefix var/lighthouse lighthouse@12      # once (var/ is git-ignored)
    ./portal seed                                          # the demo patient and her course
    .venv/bin/python scripts/lighthouse.py                 # starts its own runserver
    .venv/bin/python scripts/lighthouse.py --base-url http://127.0.0.1:8000   # or a running one

Phone profile (Lighthouse's default: a mid-range phone, throttled), Debian's chromium headless.
The pages are found the way a patient finds them: from the course page's and the booking page's
own links, so the script needs no database access. Opening the hold page makes a hold (it
lapses by itself after a few minutes), as a patient tapping a time would.
"""

# A developer's tool run by hand against the developer's own server: its URLs and commands come
# from its own arguments (ruff's S310 and S603 are about untrusted input).
# ruff: noqa: S310, S603

from __future__ import annotations

import argparse
import datetime as dt
import html
import json
import os
import re
import shlex
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LIGHTHOUSE = ROOT / "var" / "lighthouse" / "node_modules" / ".bin" / "lighthouse"
CHROME_FLAGS = "--headless=new --no-sandbox --disable-gpu"
CATEGORIES = ("performance", "accessibility", "best-practices")
TARGETS = {"performance": 95, "accessibility": 100, "best-practices": 96}


class Browser:
    """Just enough of a browser to sign in and follow links: cookies and the CSRF token."""

    def __init__(self, base: str):
        if not base.startswith(("http://", "https://")):
            raise SystemExit(f"not a web address: {base}")
        self.base = base.rstrip("/")
        self.jar = CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def cookie(self, name: str) -> str:
        return next((c.value for c in self.jar if c.name == name), "")

    def get(self, path: str) -> tuple[str, str]:
        with self.opener.open(self.base + path) as response:
            return response.geturl(), response.read().decode()

    def post(self, path: str, data: dict) -> tuple[str, str]:
        body = urllib.parse.urlencode({**data, "csrfmiddlewaretoken": self.cookie("csrftoken")})
        request = urllib.request.Request(
            self.base + path, data=body.encode(), headers={"Referer": self.base + path}
        )
        with self.opener.open(request) as response:
            return response.geturl(), response.read().decode()


def patient_pages(browser: Browser) -> list[tuple[str, str]]:
    """(name, path) of every patient page, found from the pages' own links."""
    path_of = lambda url: urllib.parse.urlsplit(url)._replace(scheme="", netloc="").geturl()  # noqa: E731
    pages = [("My course", "/my/")]
    _, home = browser.get("/my/")
    _, book = browser.get("/my/book/")
    pages.append(("Book a session", "/my/book/"))
    earliest = re.search(r'class="earliest".*?name="starts_at" value="([^"]+)"', book, re.S)
    location = re.search(r'name="location" value="(\d+)"', book)
    if earliest and location:
        query = urllib.parse.urlencode({"starts_at": earliest[1], "location": location[1]})
        pages.append(("Plan my course", f"/my/plan/?{query}"))
        url, _ = browser.post("/my/hold/", {"starts_at": earliest[1], "location": location[1]})
        if "/my/hold/" in url:
            pages.append(("Confirm your time (hold)", path_of(url)))
    sessions = re.findall(r'href="/my/sessions/(\d+)/cancel/"', home)
    if sessions:
        pages.append(("Booked (confirmation)", f"/my/booked/?s={','.join(sessions)}"))
        pages.append(("Cancel a session", f"/my/sessions/{sessions[-1]}/cancel/"))
        pages.append(("Move a session", f"/my/book/?session={sessions[-1]}"))
    pages.append(("My estimate", "/my/estimate/"))
    _, estimate = browser.get("/my/estimate/")
    gfe = re.search(r'(?:href|action)="(/estimates/\d+/)"', estimate)
    if gfe:
        pages.append(("Good Faith Estimate", html.unescape(gfe[1])))
    pages.append(("Reminders", "/my/reminders/"))
    # Every other page of the patient's menu (waitlist, diary, payments, and whatever comes next).
    menu = re.search(r'<nav aria-label="[^"]*">(.*?)</nav>', home, re.S)
    known = {path for _, path in pages}
    for href, label in re.findall(r'<a href="(/[^"]*)"[^>]*>([^<]+)</a>', menu[1] if menu else ""):
        if href not in known and href not in ("/", "/accounts/login/"):
            pages.append((html.unescape(label.strip()), html.unescape(href)))
            known.add(href)
    return pages


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(url: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2).close()
            return
        except OSError:
            time.sleep(0.5)
    raise SystemExit(f"no answer from {url}")


def run_lighthouse(url: str, cookie: str, out: Path) -> dict[str, int]:
    command = [
        str(LIGHTHOUSE),
        url,
        "--quiet",
        "--output=json",
        f"--output-path={out}",
        f"--chrome-flags={CHROME_FLAGS}",
        f"--only-categories={','.join(CATEGORIES)}",
        "--extra-headers=" + json.dumps({"Cookie": cookie}),
    ]
    env = {**os.environ, "CHROME_PATH": os.environ.get("CHROME_PATH", "/usr/bin/chromium")}
    # On a busy machine Lighthouse now and then loses the page load's trace (NO_NAVSTART) and
    # asks to be run again: it is, up to three times.
    for attempt in range(3):
        done = subprocess.run(command, check=False, env=env, stdout=subprocess.DEVNULL)
        if done.returncode == 0:
            break
        print(f"  Lighthouse failed on {url} (attempt {attempt + 1}); again", flush=True)
    else:
        raise SystemExit(f"Lighthouse failed three times on {url}")
    report = json.loads(out.read_text())
    return {c: round(report["categories"][c]["score"] * 100) for c in CATEGORIES}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--base-url", help="a running portal (default: start runserver)")
    parser.add_argument("--email", default="patient@mail.example")
    parser.add_argument("--password", default="demo-pass-2026")
    parser.add_argument("--out", default=str(ROOT / "docs" / "LIGHTHOUSE.md"))
    parser.add_argument("--note", default="", help="a sentence put above the table")
    args = parser.parse_args()
    if not LIGHTHOUSE.exists():
        raise SystemExit("npm install --prefix var/lighthouse lighthouse@12   (first)")

    server = None
    base = args.base_url
    if base is None:
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        server = subprocess.Popen(
            [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    try:
        wait_for(base + "/healthz")
        browser = Browser(base)
        browser.get("/accounts/login/")
        url, _ = browser.post(
            "/accounts/login/", {"username": args.email, "password": args.password}
        )
        if "/accounts/login/" in url:
            raise SystemExit(f"could not sign in as {args.email}")
        pages = patient_pages(browser)
        cookie = "; ".join(f"{c.name}={c.value}" for c in browser.jar)
        reports = ROOT / "var" / "lighthouse" / "reports"
        reports.mkdir(parents=True, exist_ok=True)
        rows = []
        for i, (name, path) in enumerate(pages, start=1):
            scores = run_lighthouse(base + path, cookie, reports / f"{i:02d}.json")
            print(name, path, scores, flush=True)
            rows.append((name, path, scores))
    finally:
        if server is not None:
            server.terminate()
            server.wait()
    write(Path(args.out), rows, note=args.note)


def _command_shown() -> str:
    """The command as typed, with the note's text (printed below it anyway) left out."""
    args, shown = sys.argv[1:], [".venv/bin/python", "scripts/lighthouse.py"]
    skip = False
    for arg in args:
        if skip:
            skip = False
        elif arg == "--note" or arg.startswith("--note="):
            shown.append("--note '…'")
            skip = arg == "--note"
        else:
            shown.append(shlex.quote(arg))
    return " ".join(shown)


def write(out: Path, rows, *, note: str) -> None:
    version = subprocess.run(
        [str(LIGHTHOUSE), "--version"], capture_output=True, text=True, check=False
    ).stdout.strip()
    short = lambda c: c.replace("best-practices", "best practices")  # noqa: E731
    lines = [
        "# Lighthouse on the patient's pages",
        "",
        f"Measured {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC with Lighthouse {version}, "
        "phone profile (the default), Debian's chromium headless, signed in as the demo patient "
        "(`patient@mail.example`), the portal under `manage.py runserver` (development settings).",
        "",
        "Command: `" + _command_shown() + "`",
        "",
        "Targets: " + ", ".join(f"{short(c)} ≥ {t}" for c, t in TARGETS.items()) + ".",
        "",
    ]
    if note:
        lines += [note, ""]
    lines += [
        "| Page | Path | Performance | Accessibility | Best practices |",
        "|---|---|---|---|---|",
    ]
    for name, path, scores in rows:
        cells = [
            f"{scores[c]}" + ("" if scores[c] >= TARGETS[c] else " (below target)")
            for c in CATEGORIES
        ]
        lines.append(f"| {name} | `{path}` | " + " | ".join(cells) + " |")
    out.write_text("\n".join(lines) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
