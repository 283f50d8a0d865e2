import datetime as dt

from django import forms
from django.utils.translation import gettext_lazy as _

from clinic.forms import AccessibleFormMixin, DatePickerInput, DateTimePickerInput
from scheduling.models import Weekday

from .models import PartOfDay

MIN_YEAR, MAX_YEAR = 2000, 2100


def _in_years(value: dt.date | None) -> dt.date | None:
    if value is not None and not MIN_YEAR <= value.year <= MAX_YEAR:
        raise forms.ValidationError(
            _("Choose a day between %(a)s and %(b)s.") % {"a": MIN_YEAR, "b": MAX_YEAR}
        )
    return value


class JoinForm(AccessibleFormMixin, forms.Form):
    """The windows a patient can make, in the location's zone."""

    weekdays = forms.TypedMultipleChoiceField(
        label=_("Days you can come"),
        choices=Weekday.choices,
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
    )
    parts_of_day = forms.MultipleChoiceField(
        label=_("Times of day you can come"),
        choices=PartOfDay.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    earliest_date = forms.DateField(
        label=_("Not before (optional)"),
        required=False,
        widget=DatePickerInput(),
    )
    latest_date = forms.DateField(
        label=_("Not after (optional)"),
        required=False,
        widget=DatePickerInput(),
    )
    earlier_than = forms.TypedChoiceField(
        label=_("An earlier time for"),
        coerce=int,
        required=False,
        empty_value=None,
    )

    def __init__(self, *args, sessions=(), labels=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["earlier_than"].choices = [("", _("A new session"))] + [
            (s.pk, (labels or {}).get(s.pk, str(s))) for s in sessions
        ]

    def clean_earliest_date(self):
        return _in_years(self.cleaned_data["earliest_date"])

    def clean_latest_date(self):
        return _in_years(self.cleaned_data["latest_date"])

    def clean(self):
        data = super().clean()
        first, last = data.get("earliest_date"), data.get("latest_date")
        if first and last and last < first:
            self.add_error("latest_date", _("The latest date must not be before the earliest."))
        return data


class OfferByHandForm(AccessibleFormMixin, forms.Form):
    """A free time a coordinator offers to the waitlist, in the location's zone."""

    starts_at = forms.DateTimeField(
        label=_("Start (the location's time)"),
        widget=DateTimePickerInput(),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )

    def clean_starts_at(self):
        value = self.cleaned_data["starts_at"]
        _in_years(value.date())
        return value
