"""Sign-in rules that apply to every page: staff must have passed two-factor, and a session
left idle too long ends (15 minutes for staff, 30 for everyone else)."""

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.middleware import OTPMiddleware as LibraryOTPMiddleware
from django_otp.plugins.otp_totp.models import TOTPDevice

from .auth_backends import CONFIRMED_DEVICES
from .models import STAFF_ROLES

LAST_SEEN_KEY = "last_seen"


class IdleTimeoutMiddleware:
    """Ends the session of a signed-in user whose last request is older than their limit. The
    time of the last request is kept in the session (written at most once a minute)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            now = int(time.time())
            limit = (
                settings.STAFF_IDLE_TIMEOUT
                if user.role in STAFF_ROLES
                else settings.PATIENT_IDLE_TIMEOUT
            )
            last = request.session.get(LAST_SEEN_KEY)
            if last is not None and now - last > limit.total_seconds():
                logout(request)
                minutes = int(limit.total_seconds() // 60)
                messages.info(
                    request,
                    _("You were signed out after %(minutes)s minutes without activity.")
                    % {"minutes": minutes},
                )
                if getattr(request, "htmx", False):
                    response = HttpResponse(status=204)
                    response["HX-Redirect"] = reverse(settings.LOGIN_URL)
                    return response
                return redirect_to_login(request.get_full_path())
            if last is None or now - last >= 60:
                request.session[LAST_SEEN_KEY] = now
        return self.get_response(request)


class OTPMiddleware(LibraryOTPMiddleware):
    """django-otp's middleware (`request.user.otp_device`, `user.is_verified()`), taking the
    session's device from the confirmed devices the sign-in back-end read with the user
    (clinic.auth_backends.EmailOrPhoneBackend.get_user) instead of asking the database again on
    every staff page. The rules stay django-otp's: _finalize_device still refuses a device that
    is not the user's or not confirmed, and drops a device id the session should not keep."""

    def _verify_user_sync(self, request, user):
        self._init_user_fields(user)
        if user.is_authenticated:
            persistent_id = request.session.get(DEVICE_ID_SESSION_KEY)
            device = self._session_device(user, persistent_id) if persistent_id else None
            user.otp_device = self._finalize_device(request, user, device)
        return user

    def _session_device(self, user, persistent_id: str):
        label, _, pk = self._normalize_persistent_id(persistent_id).partition("/")
        if label != TOTPDevice.model_label() or not hasattr(user, CONFIRMED_DEVICES):
            # Another kind of device, or a user some other back-end loaded: the library's way.
            return self._device_from_persistent_id(persistent_id)
        for row in getattr(user, CONFIRMED_DEVICES) or ():
            if str(row["id"]) == pk:
                return _totp_device(row, db=user._state.db)
        return None


def _totp_device(row: dict, *, db: str) -> TOTPDevice:
    """A TOTPDevice from its row as JSON (keys are column names), as the ORM would load it."""
    fields = TOTPDevice._meta.concrete_fields
    values = [field.to_python(row[field.column]) for field in fields]
    return TOTPDevice.from_db(db, [field.attname for field in fields], values)


class StaffTwoFactorMiddleware:
    """A coordinator, clinician or admin who signed in with a password but has not typed a
    two-factor code this session is sent to do so (or to set up their app) before any page.
    Comes after django_otp's OTPMiddleware, which tells whether the session is verified."""

    # Reachable before the code: the code pages themselves, signing out, and what the page
    # needs to load.
    EXEMPT_URL_NAMES = ("two_factor_setup", "two_factor_verify", "logout", "healthz")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and user.role in STAFF_ROLES
            and not user.is_verified()
            and not self._exempt(request.path)
        ):
            from .twofactor import confirmed_device

            name = "two_factor_verify" if confirmed_device(user) else "two_factor_setup"
            target = reverse(name) + "?next=" + request.get_full_path()
            if getattr(request, "htmx", False):
                response = HttpResponse(status=204)
                response["HX-Redirect"] = target
                return response
            return redirect(target)
        return self.get_response(request)

    def _exempt(self, path: str) -> bool:
        if path.startswith(settings.STATIC_URL):
            return True
        return path in {reverse(name) for name in self.EXEMPT_URL_NAMES}


class HealthCheckMiddleware:
    """Answers /healthz before any other middleware runs: the session, the signed-in user and
    the language middleware all read PostgreSQL, so with it down they would fail first and the
    probe would get a 500 instead of a 503 naming the service that is down. First in MIDDLEWARE."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info == "/healthz":
            from .views import healthz

            return healthz(request)
        return self.get_response(request)


class NoStoreMiddleware:
    """Pages for a signed-in user (and API answers to a key) carry health information or
    identities: neither the browser nor a proxy may keep a copy (`Cache-Control: no-store`),
    so the back button after signing out or a shared computer shows nothing."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        signed_in = user is not None and user.is_authenticated
        if signed_in or "HTTP_AUTHORIZATION" in request.META:
            response["Cache-Control"] = "private, no-store"
        return response
