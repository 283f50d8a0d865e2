from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _


class AccessibleFormMixin:
    """Ties each error to its field for screen readers (aria-invalid, aria-describedby), so the
    shared field template can show the message beside the input it is about."""

    def full_clean(self):
        super().full_clean()
        for name in self.errors:
            if name in self.fields:
                bound = self[name]
                attrs = self.fields[name].widget.attrs
                attrs["aria-invalid"] = "true"
                attrs["aria-describedby"] = f"{bound.auto_id}-error"


class SignInForm(AccessibleFormMixin, AuthenticationForm):
    username = forms.CharField(
        label=_("E-mail or mobile phone"),
        max_length=254,
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username"}),
    )
    error_messages = {
        "invalid_login": _(
            "That e-mail or phone and password do not match an account. Check both and try again."
        ),
        "inactive": _("This account is not active yet. Use the link in your invitation."),
    }
