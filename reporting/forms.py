from django import forms
from django.utils.translation import gettext_lazy as _

from clinic.forms import AccessibleFormMixin, ShortModelChoiceField
from scheduling.models import Location

CHARTS = [
    ("funnel", _("Referral funnel")),
    ("first_contact", _("Time to first contact")),
    ("utilisation", _("Chair utilisation")),
    ("attendance", _("No-shows and late cancellations")),
    ("revenue", _("Estimated self-pay revenue")),
    ("responders_by_infusions", _("Responders by infusions received")),
    ("responders_by_location", _("Responders by location")),
]


class OperationsFilterForm(AccessibleFormMixin, forms.Form):
    """The operations dashboard's query string: ?location=<id>, and for a download
    &format=csv&chart=<name>."""

    location = ShortModelChoiceField(
        label=_("Location"),
        queryset=None,
        required=False,
        empty_label=_("All locations"),
        error_messages={
            "invalid_choice": _("There is no such location. Choose one from the list.")
        },
    )
    format = forms.ChoiceField(choices=[("", "page"), ("csv", "CSV")], required=False)
    chart = forms.ChoiceField(
        choices=[("", "")] + CHARTS,
        required=False,
        error_messages={"invalid_choice": _("There is no such chart.")},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["location"].queryset = Location.objects.order_by("name")

    def clean(self):
        data = super().clean()
        if data.get("format") == "csv" and not data.get("chart"):
            self.add_error("chart", _("Say which chart to download: chart=funnel, for example."))
        return data
