import phonenumbers
from django.contrib.auth.backends import ModelBackend
from django.db.models import Q

from .models import User


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
