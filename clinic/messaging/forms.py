from django import forms
from django.utils.translation import gettext_lazy as _

from clinic.forms import AccessibleFormMixin

from .models import LANGUAGE_CHOICES, Channel, MessageStatus


class OutboxFilterForm(AccessibleFormMixin, forms.Form):
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("Any"))] + MessageStatus.choices
    )
    channel = forms.ChoiceField(
        label=_("Channel"), required=False, choices=[("", _("Any"))] + Channel.choices
    )


class ReminderPreferencesForm(AccessibleFormMixin, forms.Form):
    preferred_channel = forms.ChoiceField(
        label=_("Send my reminders by"), choices=Channel.choices, widget=forms.RadioSelect
    )
    language = forms.ChoiceField(label=_("Language"), choices=LANGUAGE_CHOICES)
    texts = forms.BooleanField(
        label=_("I agree to appointment text messages to my mobile number"), required=False
    )
    calls = forms.BooleanField(
        label=_("I agree to appointment reminder calls to my mobile number"), required=False
    )
