"""The day view's cells written in Python (scheduling.day_page.rows_html) are the HTML the
template wrote cell by cell before (its loop kept in day_cells_before.html, as it was in
scheduling/partials/_day.html): for any patient's name and label, any page address, every
status, confirmed or not, with and without the clinician's form, in English and Spanish."""

import datetime as dt
from pathlib import Path

from django.template import engines
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from scheduling.day_page import CONT, EMPTY, DayPage, Marking, Place, rows_html

CELLS_BEFORE = (Path(__file__).parent / "day_cells_before.html").read_text().removesuffix("\n")

text = st.text(st.characters(codec="utf-8"), max_size=30)
session = st.tuples(
    st.sampled_from(["booked", "checked_in", "completed", "no_show"]),
    st.integers(1, 2**62),
    st.builds(lambda n: f"/patients/{n}/", st.integers(1, 2**62)),
    text,  # the patient's name, as hostile as it comes
    text,  # "when · status"
    st.booleans(),
)
cell = st.one_of(st.just(EMPTY), st.just(CONT), session)


@given(
    cells=st.lists(cell, max_size=8),
    clinician=st.booleans(),
    here=st.builds(lambda q: "/staff/day/?" + q, text),
    language=st.sampled_from(["en", "es"]),
)
def test_the_cells_are_the_html_the_template_wrote(cells, clinician, here, language):
    csrf = '<input type="hidden" name="csrfmiddlewaretoken" value="abc">'
    page = DayPage(
        location=Place(1, "Boston", dt.UTC),
        day=dt.date(2026, 12, 3),
        chairs=[],
        shifts=[],
        rows=[("7:00 AM", cells, 3)],
        audited=[],
    )
    marking = Marking(csrf_input=csrf, here=here) if clinician else None
    with translation.override(language):
        [(time, html, left)] = rows_html(page, marking=marking)
        before = (
            engines["jinja2"]
            .from_string(CELLS_BEFORE)
            .render({"cells": cells, "can_mark": clinician, "here": here, "csrf_input": csrf})
        )
    assert (time, left) == ("7:00 AM", 3)
    assert str(html) == before
