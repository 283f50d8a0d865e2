"""Gateways for delivery tests that run in real worker processes. They stand in for the
provider's servers (which lie outside the machine) behind the same interface as the real ones,
and leave evidence in files the test reads, since they run in another process."""

import contextlib
import json
import os
import re
import threading
import time
import uuid
from datetime import UTC, datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from clinic.messaging.gateways import find_sent_email


class _EvidenceLookup:
    """find_sent as the real gateways answer it: e-mail cannot be asked; for texts and calls the
    evidence file is the provider's record."""

    def find_sent(self, message, *, since) -> str | None:
        if message.channel == "email":
            return find_sent_email(message)
        evidence = Path(os.environ["GATEWAY_EVIDENCE"])
        received = evidence.read_text().split() if evidence.exists() else []
        return f"recorded-{message.pk}" if str(message.pk) in received else None


class HangingGateway(_EvidenceLookup):
    """Reached after the claim is committed, then never returns: the worker is killed here."""

    def send(self, message) -> str:
        Path(os.environ["GATEWAY_EVIDENCE"]).write_text(str(message.pk))
        time.sleep(600)
        raise AssertionError("the test should have killed this worker")


class RecordingGateway(_EvidenceLookup):
    """Accepts every message and appends its id, one line per hand-over."""

    def send(self, message) -> str:
        with open(os.environ["GATEWAY_EVIDENCE"], "a") as evidence:
            evidence.write(f"{message.pk}\n")
        return f"recorded-{uuid.uuid4().hex[:12]}"


class TwilioStub:
    """A local stand-in for Twilio's REST API (2010-04-01): creates messages and calls, and lists
    them with Twilio's filters (To, From, DateSent and StartTime with their < and > forms,
    PageSize) and Twilio's JSON shape, so the official twilio library can talk to it. Every
    request it receives is kept, with our message id read from the status callback address.

    `hold_next()` makes the next create (or a later one) wait, after it is recorded (Twilio has
    the message), until `release()`: a worker can be killed while its request is held open.
    `delay` slows every create, as a real provider's latency does."""

    def __init__(self, *, account_sid: str, delay: float = 0.0):
        self.account_sid = account_sid
        self.delay = delay
        self.records: list[dict] = []
        self.lock = threading.Lock()
        self._hold = 0  # which create to hold, counted from the next one (0: none)
        self.held = threading.Event()  # set while a create is being held
        self._release = threading.Event()
        handler = type("Handler", (_TwilioHandler,), {"stub": self})
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}"

    def hold_next(self, *, after: int = 0) -> None:
        """Hold the create that comes after `after` more creates."""
        with self.lock:
            self.held.clear()
            self._release.clear()
            self._hold = after + 1

    def release(self) -> None:
        self._release.set()

    def message_ids(self) -> list[int]:
        """Our message id of every create received, in arrival order (repeats kept)."""
        with self.lock:
            return [record["our_id"] for record in self.records]

    def close(self) -> None:
        self._release.set()
        self.server.shutdown()
        self.server.server_close()


def _rfc2822(moment) -> str | None:
    return format_datetime(moment, usegmt=True) if moment else None


def _matches_time(value, filters: dict, name: str) -> bool:
    """Twilio's date filters: `Name=`, `Name<=` and `Name>=` (sent by the library as the
    parameters `Name`, `Name<` and `Name>`), each a date (YYYY-MM-DD) or an ISO datetime."""
    for key, compare in ((name, "eq"), (name + "<", "le"), (name + ">", "ge")):
        if key not in filters:
            continue
        if value is None:
            return False
        raw = filters[key]
        if len(raw) == 10:
            bound, mine = datetime.fromisoformat(raw).date(), value.date()
        else:
            bound, mine = datetime.fromisoformat(raw.replace("Z", "+00:00")), value
        if (
            (compare == "eq" and mine != bound)
            or (compare == "le" and mine > bound)
            or (compare == "ge" and mine < bound)
        ):
            return False
    return True


class _TwilioHandler(BaseHTTPRequestHandler):
    stub: TwilioStub

    def _route(self):
        parts = urlsplit(self.path)
        found = re.fullmatch(r"/2010-04-01/Accounts/([^/]+)/(Messages|Calls)\.json", parts.path)
        if not found or found.group(1) != self.stub.account_sid:
            self._answer(404, {"code": 20404, "message": "not found", "status": 404})
            return None
        return found.group(2), parts

    def do_POST(self):  # noqa: N802 (http.server's naming)
        route = self._route()
        if route is None:
            return
        kind, _parts = route
        length = int(self.headers.get("Content-Length") or 0)
        form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
        callback = form.get("StatusCallback", "")
        our_id = parse_qs(urlsplit(callback).query).get("message", [""])[0]
        now = datetime.now(UTC)
        record = {
            "kind": kind,
            "sid": ("SM" if kind == "Messages" else "CA") + uuid.uuid4().hex,
            "to": form.get("To", ""),
            "from": form.get("From", ""),
            "body": form.get("Body", ""),
            "status_callback": callback,
            "our_id": int(our_id) if our_id.isdigit() else None,
            "date_created": now,
            "sent": None,
            "status": "queued",
            "auth": self.headers.get("Authorization"),
        }
        with self.stub.lock:
            self.stub.records.append(record)
            hold = self.stub._hold == 1
            self.stub._hold = max(self.stub._hold - 1, 0)
        if hold:
            self.stub.held.set()
            self.stub._release.wait(120)
        elif self.stub.delay:
            time.sleep(self.stub.delay)
        with self.stub.lock:
            record["sent"], record["status"] = datetime.now(UTC), "sent"
        # The caller may have died while we held its request: Twilio still has the message.
        with contextlib.suppress(OSError):
            self._answer(201, self._resource(record, queued=True))

    def do_GET(self):  # noqa: N802
        route = self._route()
        if route is None:
            return
        kind, parts = route
        filters = {k: v[0] for k, v in parse_qs(parts.query).items()}
        when = "DateSent" if kind == "Messages" else "StartTime"
        with self.stub.lock:
            found = [
                self._resource(r)
                for r in reversed(self.stub.records)  # newest first, as Twilio lists
                if r["kind"] == kind
                and r["to"] == filters.get("To", r["to"])
                and r["from"] == filters.get("From", r["from"])
                and _matches_time(r["sent"], filters, when)
            ]
        size = min(int(filters.get("PageSize", 50)), 1000)
        page = found[:size]
        uri = parts.path + ("?" + parts.query if parts.query else "")
        self._answer(
            200,
            {
                kind.lower(): page,
                "end": max(len(page) - 1, 0),
                "first_page_uri": uri,
                "next_page_uri": None,
                "previous_page_uri": None,
                "page": 0,
                "page_size": size,
                "start": 0,
                "uri": uri,
            },
        )

    def _resource(self, record: dict, queued: bool = False) -> dict:
        sent = None if queued else record["sent"]
        common = {
            "sid": record["sid"],
            "account_sid": self.stub.account_sid,
            "api_version": "2010-04-01",
            "to": record["to"],
            "from": record["from"],
            "status": "queued" if queued else record["status"],
            "date_created": _rfc2822(record["date_created"]),
            "date_updated": _rfc2822(sent or record["date_created"]),
            "uri": f"/2010-04-01/Accounts/{self.stub.account_sid}/{record['kind']}/"
            f"{record['sid']}.json",
        }
        if record["kind"] == "Messages":
            return {
                **common,
                "body": record["body"],
                "date_sent": _rfc2822(sent),
                "direction": "outbound-api",
                "num_segments": "1",
                "error_code": None,
                "error_message": None,
            }
        return {
            **common,
            "start_time": _rfc2822(sent),
            "end_time": None,
            "direction": "outbound-api",
            "duration": None,
        }

    def _answer(self, status: int, body: dict) -> None:
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args):
        pass


class FaxStub:
    """A local stand-in for a fax service's REST API in Phaxio's v2.1 shape (what
    clinic.messaging.fax.HttpFaxGateway speaks): `POST /faxes` (multipart: `to`, `file`,
    `tag[<name>]`, HTTP basic auth) answers `{"success": true, "data": {"id": n}}`; `GET
    /faxes?tag[<name>]=<value>` lists the faxes sent with that tag. Every fax it takes is kept
    (with its PDF) in `faxes`; `answer` makes the next creates fail with that status."""

    def __init__(self):
        self.faxes: list[dict] = []
        self.answer: int | None = None
        self.lock = threading.Lock()
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def _reply(self, status: int, body: dict) -> None:
                payload = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def do_POST(self):  # noqa: N802 (http.server's naming)
                from email.parser import BytesParser
                from email.policy import HTTP

                length = int(self.headers["Content-Length"])
                raw = self.rfile.read(length)
                if stub.answer is not None:
                    self._reply(stub.answer, {"success": False, "message": "refused"})
                    return
                head = f"Content-Type: {self.headers['Content-Type']}\r\n\r\n".encode()
                parsed = BytesParser(policy=HTTP).parsebytes(head + raw)
                fields, files = {}, {}
                for part in parsed.iter_parts():
                    name = part.get_param("name", header="content-disposition")
                    if part.get_filename():
                        files[name] = part.get_payload(decode=True)
                    else:
                        fields[name] = part.get_payload(decode=True).decode()
                with stub.lock:
                    fax = {
                        "id": 9000 + len(stub.faxes),
                        "to": fields.get("to"),
                        "tags": {k[4:-1]: v for k, v in fields.items() if k.startswith("tag[")},
                        "file": files.get("file"),
                        "auth": self.headers.get("Authorization"),
                    }
                    stub.faxes.append(fax)
                self._reply(200, {"success": True, "message": "queued", "data": {"id": fax["id"]}})

            def do_GET(self):  # noqa: N802
                query = parse_qs(urlsplit(self.path).query)
                tags = {k[4:-1]: v[0] for k, v in query.items() if k.startswith("tag[")}
                with stub.lock:
                    found = [
                        {"id": f["id"], "direction": "sent", "status": "success"}
                        for f in stub.faxes
                        if all(f["tags"].get(k) == v for k, v in tags.items())
                    ]
                self._reply(200, {"success": True, "data": found})

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}"

    def message_ids(self) -> list[int]:
        return [int(f["tags"]["clinic_message"]) for f in self.faxes]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
