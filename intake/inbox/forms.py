from django import forms
from django.utils.translation import gettext_lazy as _
from phonenumber_field.formfields import PhoneNumberField

from clinic.forms import AccessibleFormMixin
from clinic.validators import validate_no_control_characters

from ..forms import ReferralForm
from ..validators import validate_npi

# Proposed fields that are form fields of ReferralForm, as the form's initial values.
REFERRAL_FIELDS = (
    "patient_first_name",
    "patient_last_name",
    "date_of_birth",
    "mobile_phone",
    "zip_code",
    "diagnosis_code",
    "recommended_infusions",
    "contraindications",
)
PROVIDER_FIELDS = ("provider_npi", "provider_first_name", "provider_last_name")


class InboxReferralForm(ReferralForm):
    """The web form's rules, without its upload: the document itself is the attachment."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["attachments"]
        self.fields["contact_consent"].label = _(
            "The letter says the patient agreed to be contacted by the clinic (or the "
            "coordinator confirmed it)."
        )

    def referral_data(self) -> dict:
        return dict(self.cleaned_data)


class ReferringProviderForm(AccessibleFormMixin, forms.Form):
    prefix = "provider"

    provider_npi = forms.CharField(
        label=_("Referring provider's NPI"),
        max_length=10,
        validators=[validate_npi],
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    provider_first_name = forms.CharField(
        label=_("Provider's first name"),
        max_length=150,
        validators=[validate_no_control_characters],
    )
    provider_last_name = forms.CharField(
        label=_("Provider's last name"), max_length=150, validators=[validate_no_control_characters]
    )
    practice_name = forms.CharField(
        label=_("Practice"), max_length=200, validators=[validate_no_control_characters]
    )
    phone = PhoneNumberField(
        label=_("Practice phone"), region="US", widget=forms.TextInput(attrs={"type": "tel"})
    )
    fax = PhoneNumberField(
        label=_("Practice fax"),
        region="US",
        required=False,
        widget=forms.TextInput(attrs={"type": "tel"}),
    )
    email = forms.EmailField(
        label=_("Provider's e-mail"),
        required=False,
        help_text=_(
            "Optional. The provider is told by e-mail that the referral arrived; without an "
            "e-mail, by fax."
        ),
    )
    more_to_come = forms.BooleanField(
        required=False,
        label=_("This document holds more referrals: keep it in the inbox after this one"),
    )

    def provider_data(self) -> dict:
        c = self.cleaned_data
        return {
            "npi": c["provider_npi"],
            "first_name": c["provider_first_name"],
            "last_name": c["provider_last_name"],
            "practice_name": c["practice_name"],
            "phone": c["phone"],
            "fax": c["fax"],
            "email": c["email"],
        }


class AttachForm(AccessibleFormMixin, forms.Form):
    reference = forms.CharField(
        label=_("Referral reference"),
        max_length=16,
        validators=[validate_no_control_characters],
        help_text=_("As R-2026-00042."),
    )


class DismissForm(AccessibleFormMixin, forms.Form):
    reason = forms.CharField(
        label=_("What is it?"),
        max_length=300,
        validators=[validate_no_control_characters],
        help_text=_("For example: advertising, a misdialled fax, a records request."),
    )


class UploadForm(AccessibleFormMixin, forms.Form):
    document = forms.FileField(
        label=_("Scanned referral (PDF or TIFF, at most 10 MB)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.tif,.tiff"}),
    )


def initial_from(proposal: dict, fields: tuple[str, ...]) -> dict:
    return {name: proposal[name]["value"] for name in fields if name in proposal}


# What each proposed field is called on the page.
PROPOSAL_LABELS = {
    "patient_first_name": _("Patient's first name"),
    "patient_last_name": _("Patient's last name"),
    "date_of_birth": _("Date of birth"),
    "mobile_phone": _("Mobile phone"),
    "zip_code": _("ZIP code"),
    "provider_npi": _("Provider's NPI"),
    "provider_first_name": _("Provider's first name"),
    "provider_last_name": _("Provider's last name"),
    "diagnosis_codes": _("ICD-10 codes in the letter"),
    "diagnosis_code": _("Migraine diagnosis"),
    "recommended_infusions": _("Recommended infusions"),
    "contraindications": _("Possible contraindications"),
}
# Below this a proposed value is marked "check".
LOW_CONFIDENCE = 0.8
