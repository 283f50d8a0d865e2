import pytest

from scheduling.forms import DayPickerForm, StaffDayForm, StartForm


@pytest.mark.parametrize("form_class", [DayPickerForm, StaffDayForm])
@pytest.mark.parametrize("day", ["0001-01-01", "1999-12-31", "2101-01-01", "9999-12-31"])
def test_a_day_outside_2000_to_2100_is_refused_with_a_message(clinic, form_class, day):
    form = form_class({"location": clinic["location"].pk, "date": day})
    assert not form.is_valid()
    assert form.errors["date"] == ["Choose a day between 2000 and 2100."]


@pytest.mark.parametrize("value", ["9999-12-31T23:59:00+0000", "0001-01-01T00:00:00+0000"])
def test_a_start_time_nobody_could_have_offered_is_refused(db, value):
    form = StartForm({"starts_at": value})
    assert not form.is_valid()
    assert form.errors["starts_at"] == ["Choose a time from the list."]


def test_a_listed_start_time_is_read_as_utc(db):
    form = StartForm({"starts_at": "2027-03-01T15:00:00+0000"})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["starts_at"].isoformat() == "2027-03-01T15:00:00+00:00"
