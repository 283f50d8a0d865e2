"""Which language a page speaks. Visitors get Django's choice (the language cookie, then the
browser's Accept-Language); a signed-in patient gets their own preferred_language, which the
switcher on every page also updates, so texts, e-mails and the GFE follow the same choice."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.views.decorators.http import require_POST
from django.views.i18n import set_language as django_set_language

from .models import Role, User

SUPPORTED = {code for code, _name in settings.LANGUAGES}


class PreferredLanguageMiddleware:
    """Runs after AuthenticationMiddleware: the patient's saved choice beats cookie and browser."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.role == Role.PATIENT:
            language = user.preferred_language
            if language in SUPPORTED:
                translation.activate(language)
                request.LANGUAGE_CODE = language
        return self.get_response(request)


def user_language_set(*, user: User, language: str) -> None:
    """Saves a patient's preferred language (pages, texts, calls, e-mails and the GFE use it)."""
    if language not in SUPPORTED or user.role != Role.PATIENT:
        return
    if user.preferred_language != language:
        user.preferred_language = language
        user.save(update_fields=["preferred_language"])


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Django's set_language (cookie, safe redirect), and for a signed-in patient their profile."""
    response = django_set_language(request)
    language = request.POST.get("language", "")
    if request.user.is_authenticated:
        user_language_set(user=request.user, language=language)
    return response
