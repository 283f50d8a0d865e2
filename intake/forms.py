from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from phonenumber_field.formfields import PhoneNumberField

from clinic.forms import (
    AccessibleFormMixin,
    AsciiIntegerField,
    DatePickerInput,
    DateTimePickerInput,
    ShortModelChoiceField,
)
from clinic.validators import (
    is_ascii_digits,
    validate_no_control_characters,
    validate_no_control_characters_multiline,
)
from scheduling.models import Location

from .clinical import Contraindication, Preventive
from .models import CallOutcome, Referral, ReferralStatus
from .validators import MAX_ATTACHMENTS, MAX_NOTES_LENGTH, validate_attachments, validate_npi


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Django's documented pattern for one input that takes several files."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ".pdf,.png,.jpg,.jpeg"}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(d, initial) for d in data if d]
        return [single(data, initial)] if data else []


class ReferralForm(AccessibleFormMixin, forms.ModelForm):
    """What a valid referral is: the web form and the JSON API both validate with this form."""

    preferred_location = ShortModelChoiceField(
        queryset=Location.objects.filter(is_active=True),
        to_field_name="slug",
        label=_("Preferred clinic location"),
        empty_label=_("Choose a location"),
    )
    mobile_phone = PhoneNumberField(
        label=_("Mobile phone"),
        region="US",
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
    )
    preventives_tried = forms.MultipleChoiceField(
        choices=Preventive.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label=_("Preventive treatments tried and failed"),
    )
    contraindications = forms.MultipleChoiceField(
        choices=Contraindication.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label=_("Contraindication screen: tick every one that applies"),
    )
    no_contraindications = forms.BooleanField(
        required=False, label=_("None of these apply (the patient was screened for each)")
    )
    contact_consent = forms.BooleanField(
        required=True,
        label=_(
            "I attest that the patient agreed to be contacted by the clinic by phone, text "
            "message and e-mail about this referral."
        ),
        error_messages={"required": _("The clinic can only call patients who agreed to it.")},
    )
    attachments = MultipleFileField(
        required=False,
        label=_("Attachments (optional)"),
        help_text=_(
            "Up to 5 files: PDF, PNG or JPEG, at most 10 MB each. Clinic notes, imaging "
            "reports, medication lists."
        ),
    )

    class Meta:
        model = Referral
        fields = [
            "patient_first_name",
            "patient_last_name",
            "date_of_birth",
            "sex",
            "mobile_phone",
            "email",
            "preferred_language",
            "zip_code",
            "preferred_location",
            "contact_consent",
            "diagnosis_code",
            "headache_days_per_month",
            "years_with_migraine",
            "preventives_tried",
            "preventives_other",
            "current_medications",
            "blood_pressure",
            "contraindications",
            "no_contraindications",
            "recommended_infusions",
            "urgency",
            "notes",
        ]
        field_classes = {
            "headache_days_per_month": AsciiIntegerField,
            "years_with_migraine": AsciiIntegerField,
            "recommended_infusions": AsciiIntegerField,
        }
        widgets = {
            "date_of_birth": DatePickerInput(),
            "recommended_infusions": forms.NumberInput(attrs={"min": 1, "max": 6}),
            "headache_days_per_month": forms.NumberInput(attrs={"min": 0, "max": 31}),
            "years_with_migraine": forms.NumberInput(attrs={"min": 0, "max": 100}),
            "zip_code": forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
            "current_medications": forms.Textarea(attrs={"rows": 3}),
            "notes": forms.Textarea(attrs={"rows": 3}),
        }
        error_messages = {
            "diagnosis_code": {
                "invalid_choice": _("%(value)s is not one of the ICD-10-CM G43 migraine codes.")
            },
            "recommended_infusions": {
                "min_value": _("A course is 1 to 6 infusions."),
                "max_value": _("A course is 1 to 6 infusions."),
            },
        }

    def clean_zip_code(self):
        value = self.cleaned_data["zip_code"].strip()
        if not (len(value) == 5 and is_ascii_digits(value)) and not (
            len(value) == 10
            and value[5] == "-"
            and is_ascii_digits(value[:5])
            and is_ascii_digits(value[6:])
        ):
            raise ValidationError(_("Enter a US ZIP code such as 02116."))
        return value[:5]

    def clean_attachments(self):
        files = self.cleaned_data.get("attachments") or []
        if len(files) > MAX_ATTACHMENTS:
            raise ValidationError(_("Attach at most 5 files."))
        validate_attachments(files)
        return files

    def clean(self):
        cleaned = super().clean()
        if (
            "other" in (cleaned.get("preventives_tried") or [])
            and not cleaned.get("preventives_other", "").strip()
        ):
            self.add_error("preventives_other", _("Name the other preventive treatments tried."))
        self._clean_contraindication_screen(cleaned)
        return cleaned

    def _clean_contraindication_screen(self, cleaned):
        # "Not screened" and "screened, none" must differ: an empty screen needs the box.
        flagged, none = cleaned.get("contraindications"), cleaned.get("no_contraindications")
        if "contraindications" not in cleaned:
            return
        if not flagged and not none:
            self.add_error(
                "contraindications",
                _("Tick every contraindication that applies, or “None of these apply”."),
            )
        elif flagged and none:
            self.add_error(
                "no_contraindications",
                _("A contraindication is ticked: untick “None of these apply”, or the flag."),
            )

    def referral_data(self) -> dict:
        """The validated fields for referral_submit (attachments travel separately)."""
        return {k: v for k, v in self.cleaned_data.items() if k != "attachments"}


class ProviderSignUpForm(AccessibleFormMixin, forms.Form):
    first_name = forms.CharField(
        label=_("First name"), max_length=150, validators=[validate_no_control_characters]
    )
    last_name = forms.CharField(
        label=_("Last name"), max_length=150, validators=[validate_no_control_characters]
    )
    email = forms.EmailField(label=_("Work e-mail"))
    practice_name = forms.CharField(
        label=_("Practice"), max_length=200, validators=[validate_no_control_characters]
    )
    npi = forms.CharField(
        label=_("NPI"),
        max_length=10,
        validators=[validate_npi],
        widget=forms.TextInput(attrs={"inputmode": "numeric"}),
        help_text=_("Your 10-digit individual National Provider Identifier."),
    )
    phone = PhoneNumberField(
        label=_("Phone"), region="US", widget=forms.TextInput(attrs={"type": "tel"})
    )
    fax = PhoneNumberField(
        label=_("Fax"), region="US", required=False, widget=forms.TextInput(attrs={"type": "tel"})
    )
    password = forms.CharField(
        label=_("Password"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("At least 8 characters, not only numbers, not a common password."),
    )

    def clean_email(self):
        return self.cleaned_data["email"].lower()

    def clean_password(self):
        from django.contrib.auth.password_validation import validate_password

        password = self.cleaned_data["password"]
        validate_password(password)
        return password


class ReferralFilterForm(forms.Form):
    status = forms.ChoiceField(required=False, label=_("Status"))
    q = forms.CharField(required=False, max_length=100, label=_("Patient name or reference"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [("", _("Any status")), *ReferralStatus.choices]


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        label=_("Label for the new key"), max_length=80, initial="EHR integration"
    )


class CallLogForm(AccessibleFormMixin, forms.Form):
    """One call's outcome. The callback time is entered in the patient's own time zone."""

    outcome = forms.ChoiceField(
        label=_("Outcome"), choices=CallOutcome.choices, widget=forms.RadioSelect
    )
    notes = forms.CharField(
        label=_("Notes"),
        required=False,
        max_length=MAX_NOTES_LENGTH,
        validators=[validate_no_control_characters_multiline],
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    callback_at = forms.DateTimeField(
        label=_("Callback at (patient's local time)"),
        required=False,
        widget=DateTimePickerInput(),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )
    reason = forms.CharField(
        label=_("Reason (declined or not eligible)"),
        required=False,
        max_length=300,
        validators=[validate_no_control_characters],
    )
    planned_sessions = AsciiIntegerField(
        label=_("Planned infusions"),
        min_value=1,
        max_value=6,
        required=False,
        help_text=_("The referral's recommendation; adjust if agreed with the patient."),
        error_messages={
            "min_value": _("A course is 1 to 6 infusions."),
            "max_value": _("A course is 1 to 6 infusions."),
        },
    )

    def __init__(self, *args, time_zone=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.time_zone = time_zone

    def clean_callback_at(self):
        value = self.cleaned_data.get("callback_at")
        if value is None or self.time_zone is None:
            return value
        # The browser sends a wall-clock time; it is the patient's, not the coordinator's.
        naive = value.replace(tzinfo=None) if value.tzinfo else value
        return naive.replace(tzinfo=self.time_zone)

    def clean(self):
        cleaned = super().clean()
        outcome = cleaned.get("outcome")
        if outcome == CallOutcome.CALLBACK and not cleaned.get("callback_at"):
            self.add_error("callback_at", _("Give the date and time the patient chose."))
        if outcome == CallOutcome.NOT_ELIGIBLE and not cleaned.get("reason", "").strip():
            self.add_error("reason", _("Say why the patient is not eligible."))
        return cleaned


class SetPasswordForm(AccessibleFormMixin, forms.Form):
    password1 = forms.CharField(
        label=_("Choose a password"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("At least 8 characters, not only numbers, not a common password."),
    )
    password2 = forms.CharField(
        label=_("The same password again"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean(self):
        from django.contrib.auth.password_validation import validate_password

        cleaned = super().clean()
        first, second = cleaned.get("password1"), cleaned.get("password2")
        if first and second and first != second:
            self.add_error("password2", _("The two passwords differ."))
        elif first:
            try:
                validate_password(first, self.user)
            except ValidationError as exc:
                self.add_error("password1", exc)
        return cleaned
