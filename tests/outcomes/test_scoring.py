"""MIDAS scoring and the diary's figures against their published rules.

MIDAS, the sources: the questionnaire and its score (the sum of questions 1 to 5, days lost in
the last 3 months), Stewart WF, Lipton RB, Dowson AJ, Sawyer J. Neurology 2001;56(6 Suppl
1):S20-S28; the four grades (I 0-5 little or no disability, II 6-10 mild, III 11-20 moderate,
IV 21+ severe), derived from physicians' judgements of case histories in Lipton RB, Stewart WF,
Sawyer J, Edmeads JG. Headache 2001;41(9):854-861. Those papers give the rule, not a table of
scored patients, so the worked examples below are built from the rule: one on each side of
every published cut-point, the questionnaire's extremes, and a typical answer sheet worked out
by hand in its comment.

The diary: monthly figures per 28 days and a responder as a 50% or greater reduction in monthly
days from baseline, as in Tfelt-Hansen P et al., Guidelines for controlled trials of drugs in
migraine: third edition (International Headache Society), Cephalalgia 2012;32(1):6-38 (the
portal counts headache days). The worsening flag (2 or more headache days a month above
baseline) is the portal's own rule, not a published one."""

import datetime as dt
from types import SimpleNamespace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clinic.errors import ApplicationError
from outcomes.instruments import MIDAS, REGISTRY, instrument
from outcomes.scoring import compare, diary_figures

KEYS = [q.key for q in MIDAS.questions]


def answers(*values):
    return dict(zip(KEYS, values, strict=True))


@pytest.mark.parametrize(
    ("values", "total", "grade"),
    [
        ((0, 0, 0, 0, 0), 0, "I"),  # no disability
        ((1, 1, 1, 1, 1), 5, "I"),  # top of grade I
        ((2, 1, 1, 1, 1), 6, "II"),  # bottom of grade II
        ((2, 2, 2, 2, 2), 10, "II"),  # top of grade II
        ((3, 2, 2, 2, 2), 11, "III"),  # bottom of grade III
        ((4, 4, 4, 4, 4), 20, "III"),  # top of grade III
        ((5, 4, 4, 4, 4), 21, "IV"),  # bottom of grade IV
        ((90, 90, 90, 90, 90), 450, "IV"),  # every day of 3 months on every question
        # Missed 2 days of work, 3 more at half productivity, 4 days of housework not done,
        # 1 more at half, missed 3 social events: 2 + 3 + 4 + 1 + 3 = 13, grade III.
        ((2, 3, 4, 1, 3), 13, "III"),
    ],
)
def test_midas_score_is_the_sum_of_the_five_answers_graded_by_the_published_cut_points(
    values, total, grade
):
    score = MIDAS.score(MIDAS.clean(answers(*values)))
    assert (score.total, score.grade) == (total, grade)


def test_the_registry_entry_cites_its_source_and_asks_in_english_and_spanish():
    assert instrument("midas") is MIDAS and "Neurology 2001" in MIDAS.citation
    assert "Headache 2001" in MIDAS.citation  # where the four grades come from
    assert MIDAS.recall_days == 90 and len(MIDAS.questions) == 5
    for question in MIDAS.questions:
        assert question.text("en") != question.text("es")
        assert "3 meses" in question.text("es") and (question.minimum, question.maximum) == (0, 90)
    with pytest.raises(ApplicationError):
        instrument("hit6")  # licensed: a clinic holding the licence adds it to REGISTRY
    assert set(REGISTRY) == {"midas"}


@pytest.mark.parametrize(
    "bad",
    [
        "91",
        "-1",
        "",
        " ",
        "1.5",
        "١٢",
        "１２",
        "3e1",
        "0x1",
        "\x00",
        "\ud800",
        "9" * 1000,
        None,
        [],
        {},
        True,
        2.0,
    ],
)
def test_an_answer_outside_0_to_90_or_not_a_whole_number_is_refused_naming_the_question(bad):
    raw = answers("1", "2", bad, "3", "4")
    with pytest.raises(ApplicationError) as refused:
        MIDAS.clean(raw)
    assert refused.value.field == "missed_housework"


@given(
    st.dictionaries(st.text(max_size=20), st.one_of(st.text(max_size=5), st.integers(), st.none()))
)
def test_any_input_is_either_five_numbers_in_bounds_or_a_clear_refusal(raw):
    try:
        clean = MIDAS.clean(raw)
    except ApplicationError as exc:
        assert exc.message
    else:
        assert set(clean) == set(KEYS) and all(0 <= v <= 90 for v in clean.values())


def day(n, headache=False, migraine=False, medicine=False):
    return SimpleNamespace(
        day=dt.date(2027, 1, 1) + dt.timedelta(days=n),
        headache=headache,
        migraine=migraine,
        acute_medication=medicine,
    )


def test_diary_figures_are_per_28_days_of_the_days_recorded_with_their_count():
    # Even days 0-26 answered (14; headache on 0-6, migraine on 0 and 2, medicine on 0 and 2),
    # and odd days 1, 3, 5 (3 more, all headache).
    days = [day(n, headache=n < 7, migraine=n < 3, medicine=n < 4) for n in range(0, 28, 2)]
    days += [day(n, headache=True) for n in range(1, 7, 2)]
    figures = diary_figures(days, starts_on=dt.date(2027, 1, 1), ends_on=dt.date(2027, 1, 28))
    # 17 days recorded; headache on days 0,2,4,6 and 1,3,5 = 7 -> 7 * 28 / 17 = 11.5
    assert figures.recorded_days == 17
    assert figures.headache_days == 11.5
    assert figures.migraine_days == round(2 * 28 / 17, 1)  # days 0 and 2
    assert figures.acute_medication_days == round(2 * 28 / 17, 1)  # days 0 and 2


def test_a_window_with_fewer_than_7_answers_has_no_figure_rather_than_a_guess():
    figures = diary_figures(
        [day(n, headache=True) for n in range(6)],
        starts_on=dt.date(2027, 1, 1),
        ends_on=dt.date(2027, 1, 28),
    )
    assert figures.recorded_days == 6 and not figures.enough and figures.headache_days is None
    assert not compare(figures, figures).known


def window(headache_days, recorded=28):
    days = [day(n, headache=n < headache_days) for n in range(recorded)]
    return diary_figures(days, starts_on=dt.date(2027, 1, 1), ends_on=dt.date(2027, 3, 1))


@pytest.mark.parametrize(
    ("before", "after", "change", "responder", "worsening"),
    [
        (12, 6, -50.0, True, False),  # exactly halved: a responder (>= 50% reduction)
        (12, 7, -41.7, False, False),
        (10, 0, -100.0, True, False),
        (8, 10, 25.0, False, True),  # 2 more a month: flagged
        (8, 9, 12.5, False, False),
    ],
)
def test_responder_means_monthly_headache_days_at_least_halved(
    before, after, change, responder, worsening
):
    result = compare(window(before), window(after))
    assert (result.percent_change, result.responder, result.worsening) == (
        change,
        responder,
        worsening,
    )


def test_with_no_headache_days_at_baseline_there_is_no_percentage():
    result = compare(window(0), window(3))
    assert result.percent_change is None and result.responder is None and result.worsening
