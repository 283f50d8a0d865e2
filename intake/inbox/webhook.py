"""The fax service's webhook: POST /intake/inbox/fax, multipart with the fax as `file`, the
sending number as `from` and the service's fax id as `fax_id`, signed with the shared secret:
`X-Fax-Signature: sha256=<hex HMAC-SHA256 of the raw body>`. Answers 202 when stored (or already
stored), 400 for a file it refuses, 401 for a bad signature, 413 when too large; never more."""

import hashlib
import hmac
import logging

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from clinic.errors import ApplicationError
from clinic.params import search_text

from ..models import InboundSource
from .documents import MAX_DOCUMENT_BYTES
from .services import inbound_document_receive

logger = logging.getLogger(__name__)

# The file and a few form fields around it.
MAX_BODY_BYTES = MAX_DOCUMENT_BYTES + 64 * 1024


def signature_for(body: bytes, secret: str) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _refuse(message: str, status: int) -> JsonResponse:
    return JsonResponse({"error": message}, status=status)


@csrf_exempt
@require_POST
def fax_inbound(request: HttpRequest) -> JsonResponse:
    secret = settings.FAX_WEBHOOK_SECRET
    if not secret:
        return _refuse("The fax webhook is not configured.", 503)
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > MAX_BODY_BYTES:
        return _refuse("The fax is larger than 10 MB.", 413)
    body = request.body
    given = request.headers.get("X-Fax-Signature", "")
    if not hmac.compare_digest(given.encode(), signature_for(body, secret).encode()):
        logger.warning("fax webhook: signature refused")
        return _refuse("The signature does not match.", 401)
    try:
        upload = request.FILES.get("file")
        sending_number = search_text(request.POST.get("from"), 32)
        fax_id = search_text(request.POST.get("fax_id"), 100)
    except MultiPartParserError:
        return _refuse("Send the fax as multipart/form-data.", 400)
    if upload is None:
        return _refuse("Send the fax as the `file` field.", 400)
    try:
        document, created = inbound_document_receive(
            upload=upload,
            source=InboundSource.FAX,
            sending_number=sending_number,
            external_id=fax_id,
        )
    except ApplicationError as exc:
        return _refuse(exc.message, 400)
    return JsonResponse({"id": document.pk, "created": created}, status=202)
