"""Outbound fax: how a fax message (channel "fax") leaves the building. The messaging gateway
(clinic.messaging.gateways) hands fax messages to the adapter MESSAGING_FAX_GATEWAY names:

- OutboxFaxGateway (default): sends nothing; the message shows as sent on the Outbox page.
- HttpFaxGateway (production): a fax service's REST API in Phaxio's v2.1 shape, which most fax
  APIs resemble: `POST {FAX_API_BASE_URL}/faxes` (multipart: `to`, the page as `file`, our
  message id as the tag `tag[clinic_message]`), HTTP basic auth with FAX_API_KEY and
  FAX_API_SECRET, answering `{"success": true, "data": {"id": ...}}`; and
  `GET {FAX_API_BASE_URL}/faxes?tag[clinic_message]=<id>` listing the faxes sent with that tag.

The tag is what makes a fax exactly-once like a text: after a worker died in the middle of a
send, the dispatcher asks `find_sent` whether the service holds a fax tagged with this message,
and sends again only when it certainly does not (services.messages_settle_abandoned).

The fax is one page drawn from the message's text (the row in the database is what is sent; a
retry draws the same page).
"""

from __future__ import annotations

import html
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from django.conf import settings
from django.utils.module_loading import import_string

if TYPE_CHECKING:
    from .models import Message

# The service may take a while to accept a page; a worker is never held longer than this.
FAX_API_TIMEOUT_SECONDS = 20
TAG = "clinic_message"


class FaxGateway(Protocol):
    def send(self, message: Message) -> str:
        """Hand the fax over; return the service's id for it. Raise GatewayError."""

    def find_sent(self, message: Message, *, since: datetime) -> str | None:
        """The service's id of a fax tagged with this message, or None when there is none.
        Raise GatewayError when the service cannot be asked now."""


def get_fax_gateway() -> FaxGateway:
    return import_string(settings.MESSAGING_FAX_GATEWAY)()


def fax_page_pdf(message: Message) -> bytes:
    """The message's text as a one-page PDF: the sender's name large at the top, then the text."""
    from weasyprint import HTML  # imported here: loading Pango is slow and only faxes need it

    paragraphs = "".join(
        f"<p>{html.escape(part).replace(chr(10), '<br>')}</p>"
        for part in message.body.strip().split("\n\n")
    )
    page = (
        "<!doctype html><html><head><meta charset='utf-8'><style>"
        "@page { size: letter; margin: 1in; }"
        "body { font-family: sans-serif; font-size: 13pt; line-height: 1.4; }"
        "h1 { font-size: 22pt; margin: 0 0 .2in; }"
        "</style></head><body>"
        f"<h1>{html.escape(settings.MESSAGING_SENDER_NAME)}</h1>"
        f"<p><strong>{html.escape(message.subject)}</strong></p>{paragraphs}"
        "</body></html>"
    )
    return HTML(string=page).write_pdf()


class OutboxFaxGateway:
    def send(self, message: Message) -> str:
        return f"outbox-fax-{message.pk}"

    def find_sent(self, message: Message, *, since: datetime) -> str | None:
        return None  # nothing ever left: an abandoned claim was not sent


class HttpFaxGateway:
    def __init__(self):
        import requests

        self.session = requests.Session()
        self.session.auth = (settings.FAX_API_KEY, settings.FAX_API_SECRET)
        self.base = settings.FAX_API_BASE_URL.rstrip("/")

    def _call(self, method: str, path: str, **kwargs) -> dict:
        import requests

        from .gateways import GatewayError

        try:
            response = self.session.request(
                method, self.base + path, timeout=FAX_API_TIMEOUT_SECONDS, **kwargs
            )
        except (requests.RequestException, OSError) as exc:
            raise GatewayError(f"fax service: {exc.__class__.__name__}", permanent=False) from exc
        try:
            body = response.json()
        except ValueError:
            body = {}
        if response.status_code >= 400 or not body.get("success", False):
            # A refused number or a bad page will be refused again; a busy or broken service
            # may take it later.
            permanent = 400 <= response.status_code < 500 and response.status_code != 429
            raise GatewayError(f"fax service {response.status_code}", permanent=permanent)
        return body

    def send(self, message: Message) -> str:
        from .gateways import GatewayError

        body = self._call(
            "POST",
            "/faxes",
            data={"to": message.to_address, f"tag[{TAG}]": str(message.pk)},
            files={"file": (f"message-{message.pk}.pdf", fax_page_pdf(message), "application/pdf")},
        )
        fax_id = (body.get("data") or {}).get("id")
        if fax_id in (None, ""):
            raise GatewayError("fax service: no id in its answer", permanent=False)
        return str(fax_id)

    def find_sent(self, message: Message, *, since: datetime) -> str | None:
        # Our id is in the tag, so whatever the service lists under it is ours, whenever sent.
        body = self._call("GET", "/faxes", params={f"tag[{TAG}]": str(message.pk)})
        faxes = body.get("data") or []
        return str(faxes[0].get("id")) if faxes else None
