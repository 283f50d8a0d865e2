import re

from django import forms
from django.utils.translation import gettext_lazy as _

from clinic.forms import AccessibleFormMixin, AsciiIntegerField


def _reason(value: str, missing: str) -> str:
    """A reason kept in the ledger and shown to the patient: words, no control characters
    (only invisible characters, such as a zero-width space, say nothing)."""
    value = value.strip()
    if any(ord(c) < 32 and c not in "\n\t" for c in value):
        raise forms.ValidationError(_("Remove the control characters."))
    if not any(c.isalnum() for c in value):
        raise forms.ValidationError(missing)
    return value


class PolicyAcceptForm(AccessibleFormMixin, forms.Form):
    accept = forms.BooleanField(
        label=_("I have read the payment policy above and accept it."),
        error_messages={"required": _("Tick the box to accept the payment policy.")},
    )


class CardSavedForm(forms.Form):
    """What the page posts once Stripe.js has saved the card: only the SetupIntent's id."""

    setup_intent = forms.CharField(max_length=255)

    def clean_setup_intent(self) -> str:
        value = self.cleaned_data["setup_intent"]
        if not re.fullmatch(r"seti_[A-Za-z0-9]{1,200}", value):
            raise forms.ValidationError(_("The card could not be saved. Please try again."))
        return value


class AsciiDecimalField(forms.DecimalField):
    """Dollars typed in 0-9 only ("١٢" is refused, as AsciiIntegerField refuses it)."""

    def to_python(self, value):
        text = str(value).strip() if value is not None else ""
        if text and not text.isascii():
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return super().to_python(value)


class RefundForm(AccessibleFormMixin, forms.Form):
    # The refund's number for this charge, as the page showed it: two clicks, one refund.
    number = AsciiIntegerField(min_value=1, max_value=1000, widget=forms.HiddenInput)
    amount = AsciiDecimalField(
        label=_("Amount to refund (USD)"), max_digits=10, decimal_places=2, min_value=0.01
    )
    reason = forms.CharField(
        label=_("Reason"), max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )

    def clean_reason(self) -> str:
        return _reason(self.cleaned_data["reason"], _("Say why the payment is refunded."))


class WriteOffForm(AccessibleFormMixin, forms.Form):
    reason = forms.CharField(
        label=_("Why is it written off?"), max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )

    def clean_reason(self) -> str:
        return _reason(self.cleaned_data["reason"], _("Say why the charge is written off."))
