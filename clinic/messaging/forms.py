from django import forms
from django.utils.translation import gettext_lazy as _

from clinic.forms import AccessibleFormMixin

from .models import LANGUAGE_CHOICES, PATIENT_CHANNELS, Channel, MessageStatus


class OutboxFilterForm(AccessibleFormMixin, forms.Form):
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("Any"))] + MessageStatus.choices
    )
    channel = forms.ChoiceField(
        label=_("Channel"), required=False, choices=[("", _("Any"))] + Channel.choices
    )


class ReminderPreferencesForm(AccessibleFormMixin, forms.Form):
    preferred_channel = forms.ChoiceField(
        label=_("Send my reminders by"), choices=PATIENT_CHANNELS, widget=forms.RadioSelect
    )
    language = forms.ChoiceField(label=_("Language"), choices=LANGUAGE_CHOICES)
    texts = forms.BooleanField(
        label=_("I agree to appointment text messages to my mobile number"), required=False
    )
    calls = forms.BooleanField(
        label=_("I agree to appointment reminder calls to my mobile number"), required=False
    )


class StaffRevocationForm(AccessibleFormMixin, forms.Form):
    """A revocation the patient made by phone or in person, written down by a coordinator."""

    HOW = [
        ("by phone", _("By phone")),
        ("in person", _("In person")),
        ("in writing", _("In writing")),
    ]

    channels = forms.MultipleChoiceField(
        label=_("Stop"),
        choices=[
            (Channel.SMS, _("Text messages")),
            (Channel.VOICE, _("Reminder calls")),
            (Channel.EMAIL, _("E-mails")),
        ],
        widget=forms.CheckboxSelectMultiple,
        initial=[Channel.SMS, Channel.VOICE],
        error_messages={"required": _("Tick what the patient asked us to stop.")},
    )
    how = forms.ChoiceField(label=_("The patient told us"), choices=HOW)
    note = forms.CharField(
        label=_("Note (optional)"),
        required=False,
        max_length=150,
        help_text=_("What they said, in a few words. No clinical details."),
    )


class ReplyHandledForm(forms.Form):
    reply = forms.IntegerField(min_value=1, max_value=2**31 - 1)
