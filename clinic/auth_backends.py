import phonenumbers
from django.contrib.auth.backends import BaseBackend, ModelBackend
from django.db.models import JSONField, Q
from django.db.models.expressions import RawSQL

from .admin_site import CLINIC_ADMIN_MODELS, VIEW_ONLY_MODELS
from .db import one_or_none
from .models import Role, User


def _e164(text: str) -> str | None:
    try:
        number = phonenumbers.parse(text, "US")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def user_for_sign_in(username: str) -> User | None:
    """The account a typed sign-in name means: an e-mail in any case, with spaces around it, or
    a mobile number in any format."""
    text = (username or "").strip()
    if not text:
        return None
    query = Q(email__iexact=text)
    e164 = _e164(text)
    if e164:
        query |= Q(phone=e164)
    return User.objects.filter(query).order_by("pk").first()


def lockout_username(request, credentials=None) -> str:
    """What django-axes counts failures against (AXES_USERNAME_CALLABLE): the account itself,
    so that every spelling of one e-mail or number shares one counter. A name that matches no
    account is normalised the way the back-end reads it, so respelling it does not help either."""
    raw = (credentials or {}).get("username")
    if raw is None and request is not None:
        raw = request.POST.get("username", "")
    text = str(raw or "").strip()
    user = user_for_sign_in(text)
    if user is not None:
        return f"user:{user.pk}"
    return _e164(text) or text.casefold()


class EmailOrPhoneBackend(ModelBackend):
    """Sign in with an e-mail address or a mobile number (patients referred without e-mail)."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None:
            username = kwargs.get(User.USERNAME_FIELD)
        if not username or password is None:
            return None
        user = user_for_sign_in(username)
        if user is None:
            # Spend the same time as a real check so that timing does not reveal accounts.
            User().set_password(password)
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None

    def get_user(self, user_id):
        """The signed-in user of each request, with what their pages read about them in the same
        statement: a patient's profile (their time zone and reminders settings) and a staff
        member's confirmed second-factor devices (clinic.middleware.OTPMiddleware picks the
        session's one from them). A join to a row that staff do not have, and a subquery that
        finds nothing for a patient, cost less than a second round trip on every page."""
        user = one_or_none(
            User._default_manager.select_related("patient_profile")
            .annotate(**{CONFIRMED_DEVICES: _CONFIRMED_DEVICES})
            .filter(pk=user_id)
        )
        return user if user is not None and self.user_can_authenticate(user) else None


# The user's confirmed TOTP devices as JSON rows (column names as keys), or NULL when they have
# none. The device table is django-otp's; its rows are made into model instances only when a
# session names one of them (clinic.middleware.OTPMiddleware).
CONFIRMED_DEVICES = "confirmed_totp_devices"
_CONFIRMED_DEVICES = RawSQL(
    "(SELECT jsonb_agg(d) FROM otp_totp_totpdevice d"
    ' WHERE d.user_id = "clinic_user"."id" AND d.confirmed)',
    (),
    output_field=JSONField(),
)


class ClinicAdminBackend(BaseBackend):
    """A clinic admin (role admin, staff, active) may view, add, change and delete what the
    settings area lists for them (clinic.admin_site.CLINIC_ADMIN_MODELS), and only view the
    records (VIEW_ONLY_MODELS); each ModelAdmin may still refuse more. Nothing else: the
    libraries' tables, groups and permissions stay with superusers, whom Django's own checks
    let through."""

    def authenticate(self, request, **credentials):
        return None  # grants permissions only; EmailOrPhoneBackend signs people in

    def _is_clinic_admin(self, user) -> bool:
        return user.is_active and user.is_staff and getattr(user, "role", None) == Role.ADMIN

    def has_perm(self, user_obj, perm, obj=None):
        if not self._is_clinic_admin(user_obj):
            return False
        app_label, _, codename = perm.partition(".")
        action, _, model = codename.partition("_")
        label = f"{app_label}.{model}"
        if label in VIEW_ONLY_MODELS:
            return action == "view"
        return action in ("view", "add", "change", "delete") and label in CLINIC_ADMIN_MODELS

    def has_module_perms(self, user_obj, app_label):
        return self._is_clinic_admin(user_obj) and any(
            label.startswith(f"{app_label}.") for label in CLINIC_ADMIN_MODELS
        )
