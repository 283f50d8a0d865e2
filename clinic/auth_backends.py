import phonenumbers
from django.contrib.auth.backends import ModelBackend
from django.db.models import Q

from .models import User


class EmailOrPhoneBackend(ModelBackend):
    """Sign in with an e-mail address or a mobile number (patients referred without e-mail)."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None:
            username = kwargs.get(User.USERNAME_FIELD)
        if not username or password is None:
            return None
        query = Q(email__iexact=username.strip())
        try:
            number = phonenumbers.parse(username, "US")
            if phonenumbers.is_valid_number(number):
                e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
                query |= Q(phone=e164)
        except phonenumbers.NumberParseException:
            pass
        user = User.objects.filter(query).first()
        if user is None:
            # Spend the same time as a real check so that timing does not reveal accounts.
            User().set_password(password)
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None
