"""Twilio calls these. Every request must carry a valid X-Twilio-Signature made with our auth
token; anything else is refused with 403 before it is read."""

from functools import wraps

import phonenumbers
from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from .services import inbound_text_receive, message_delivery_update, voice_keypress_receive


def twilio_signed(view):
    @csrf_exempt
    @require_POST
    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs):
        from twilio.request_validator import RequestValidator

        token = settings.TWILIO_AUTH_TOKEN
        signature = request.headers.get("X-Twilio-Signature", "")
        url = request.build_absolute_uri()
        if not token or not RequestValidator(token).validate(url, request.POST, signature):
            return HttpResponseForbidden("invalid signature")
        return view(request, *args, **kwargs)

    return wrapped


def _twiml(build) -> HttpResponse:
    from twilio.twiml.messaging_response import MessagingResponse

    response = MessagingResponse()
    build(response)
    return HttpResponse(str(response), content_type="text/xml")


def _e164(raw: str) -> str:
    try:
        number = phonenumbers.parse(raw, settings.PHONENUMBER_DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        return raw[:32]
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


@twilio_signed
def twilio_inbound_sms(request: HttpRequest) -> HttpResponse:
    answer = inbound_text_receive(
        from_number=_e164(request.POST.get("From", "")),
        body=request.POST.get("Body", ""),
        provider_id=request.POST.get("MessageSid", ""),
    )
    return _twiml(lambda r: r.message(answer) if answer else None)


@twilio_signed
def twilio_status(request: HttpRequest) -> HttpResponse:
    sid = request.POST.get("MessageSid") or request.POST.get("CallSid") or ""
    status = request.POST.get("MessageStatus") or request.POST.get("CallStatus") or ""
    # Our id is in the callback address the gateway set (gateways.status_callback_url).
    message_id = request.GET.get("message", "")
    if sid and status:
        message_delivery_update(
            gateway_id=sid,
            provider_status=status,
            error_code=request.POST.get("ErrorCode", ""),
            message_id=int(message_id)
            if message_id.isascii() and message_id.isdigit() and len(message_id) < 12
            else None,
        )
    return HttpResponse(status=204)


@twilio_signed
def twilio_voice_keypress(request: HttpRequest, message_id: int) -> HttpResponse:
    from twilio.twiml.voice_response import VoiceResponse

    words = voice_keypress_receive(
        message_id=message_id,
        digits=request.POST.get("Digits", ""),
        call_id=request.POST.get("CallSid", ""),
    )
    response = VoiceResponse()
    response.say(words)
    response.hangup()
    return HttpResponse(str(response), content_type="text/xml")
