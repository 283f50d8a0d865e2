from django import forms
from django.utils.translation import gettext_lazy as _

from clinic.forms import AccessibleFormMixin

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
    &format=csv&chart=<name>. The locations to choose from are given as (id, name) rows (the
    page reads them with its figures); the location chosen is cleaned to its id."""

    location = forms.TypedChoiceField(
        label=_("Location"),
        coerce=int,
        empty_value=None,
        required=False,
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

    def __init__(self, *args, locations: list[tuple[int, str]], **kwargs):
        super().__init__(*args, **kwargs)
        # An id is chosen as the option sends it: "１" or "01" is no option's value.
        self.fields["location"].choices = [("", _("All locations"))] + [
            (str(pk), name) for pk, name in locations
        ]

    def clean(self):
        data = super().clean()
        if data.get("format") == "csv" and not data.get("chart"):
            self.add_error("chart", _("Say which chart to download: chart=funnel, for example."))
        return data
