import datetime as dt

from django import forms
from django.utils.translation import gettext_lazy as _

from clinic.forms import (
    AccessibleFormMixin,
    AsciiIntegerField,
    DatePickerInput,
    ListedIdField,
    ShortModelChoiceField,
)
from clinic.validators import validate_no_control_characters_multiline

from .models import MAX_SESSIONS_PER_COURSE, Location

# Days and times outside these years are typing mistakes or probes; refusing them here keeps
# date arithmetic further on from overflowing.
MIN_YEAR, MAX_YEAR = 2000, 2100


def _check_year(value):
    if value is not None and not MIN_YEAR <= value.year <= MAX_YEAR:
        raise forms.ValidationError(
            _("Choose a day between %(a)s and %(b)s.") % {"a": MIN_YEAR, "b": MAX_YEAR}
        )
    return value


class DayPickerForm(AccessibleFormMixin, forms.Form):
    location = ShortModelChoiceField(
        label=_("Location"), queryset=Location.objects.filter(is_active=True), empty_label=None
    )
    date = forms.DateField(label=_("Day"), widget=DatePickerInput())

    def clean_date(self):
        return _check_year(self.cleaned_data["date"])


class StartForm(AccessibleFormMixin, forms.Form):
    """A start time chosen from the list: an ISO instant with its offset."""

    starts_at = forms.DateTimeField(widget=forms.HiddenInput, input_formats=["%Y-%m-%dT%H:%M:%S%z"])
    location = ShortModelChoiceField(
        queryset=Location.objects.filter(is_active=True), required=False, widget=forms.HiddenInput
    )

    def clean_starts_at(self):
        value = self.cleaned_data["starts_at"]
        if value.tzinfo is None or not MIN_YEAR <= value.year <= MAX_YEAR:
            raise forms.ValidationError(_("Choose a time from the list."))
        return value.astimezone(dt.UTC)


class ReviewForm(AccessibleFormMixin, forms.Form):
    decision = forms.ChoiceField(choices=[("approve", _("Approve")), ("decline", _("Decline"))])
    reason = forms.CharField(
        label=_("Your note (needed to approve or decline)"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class PlannedCountForm(AccessibleFormMixin, forms.Form):
    """A coordinator plans a different number of infusions for a course, with a note."""

    count = AsciiIntegerField(
        label=_("Planned infusions"),
        min_value=1,
        max_value=MAX_SESSIONS_PER_COURSE,
        error_messages={
            "min_value": _("A course is 1 to 6 infusions."),
            "max_value": _("A course is 1 to 6 infusions."),
        },
    )
    reason = forms.CharField(
        label=_("Why (kept in the course history)"),
        max_length=1000,
        validators=[validate_no_control_characters_multiline],
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class CourseCancelForm(AccessibleFormMixin, forms.Form):
    reason = forms.CharField(
        label=_("Why the course is cancelled (kept in the course history)"),
        max_length=1000,
        validators=[validate_no_control_characters_multiline],
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class CourseSearchForm(AccessibleFormMixin, forms.Form):
    q = forms.CharField(label=_("Patient name, e-mail or phone"), required=False, max_length=100)


class StaffDayForm(AccessibleFormMixin, forms.Form):
    location = ListedIdField(label=_("Location"))
    date = forms.DateField(label=_("Day"), widget=DatePickerInput())

    def __init__(self, *args, locations: list[tuple[int, str]] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        # The day view reads its locations (id, name) with the day, in one statement
        # (scheduling.day_page); without them the form reads them itself.
        if locations is None:
            locations = list(Location.objects.order_by("name").values_list("pk", "name"))
        self.fields["location"].choices = locations

    @classmethod
    def requested(cls, data) -> tuple[int | None, dt.date | None]:
        """The location id and the day `data` asks for, None for either that is not one: read
        before the form is made, because the locations it chooses among come with the day.
        Whatever the form then refuses is not shown."""
        try:
            location = cls.base_fields["location"].to_python(data.get("location"))
        except forms.ValidationError:
            location = None
        if location is not None and not -(2**63) <= location < 2**63:
            location = None  # not an id the database could hold
        try:
            day = _check_year(cls.base_fields["date"].clean(data.get("date")))
        except forms.ValidationError:
            day = None
        return location, day

    def clean_date(self):
        return _check_year(self.cleaned_data["date"])
