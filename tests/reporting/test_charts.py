"""The SVG chart geometry (reporting/charts.py): bars in proportion, an axis that reads well, and
labels that do not run into each other on a phone."""

from decimal import Decimal

import pytest

from reporting.charts import (
    HALF_GLYPH,
    PLOT_HEIGHT,
    WIDTH,
    Series,
    column_chart,
    funnel_chart,
    nice_ceiling,
)


@pytest.mark.parametrize(
    ("value", "ceiling"), [(0, 1), (0.8, 1), (3, 5), (14.1, 20), (47, 50), (5450, 10000)]
)
def test_the_axis_tops_out_at_a_round_number_just_above_the_largest_value(value, ceiling):
    assert nice_ceiling(value) == ceiling


def test_bars_are_in_proportion_and_a_missing_value_draws_nothing():
    svg = column_chart(
        ["Jun 1", "Jun 8", "Jun 15"],
        [Series("Rate", [Decimal("25.0"), None, Decimal("50.0")])],
        lambda v: f"{v}%",
    )
    assert [bar.title for bar in svg.bars] == ["Jun 1: 25.0%", "Jun 15: 50.0%"]
    assert [bar.height for bar in svg.bars] == [PLOT_HEIGHT / 2, PLOT_HEIGHT]
    assert all(bar.y + bar.height == svg.baseline for bar in svg.bars)
    assert [label.text for label in svg.labels[:3]] == ["0.0%", "25.0%", "50.0%"]


def test_fourteen_weeks_get_at_most_six_labels_and_two_series_a_legend():
    weeks = [f"W{n}" for n in range(14)]
    svg = column_chart(weeks, [Series("No-show", [1] * 14), Series("Late", [2] * 14)], str)
    week_labels = [label for label in svg.labels if label.text.startswith("W")]
    assert len(week_labels) <= 6
    assert svg.legend == [(0, "No-show"), (1, "Late")]
    assert {bar.series for bar in svg.bars} == {0, 1}


@pytest.mark.parametrize("weeks", [1, 6, 13, 14])
def test_every_week_label_stays_inside_the_drawing(weeks):
    """The last week's label sat centred under the last column and ran past the right edge."""
    svg = column_chart([f"Nov {n:02d}" for n in range(weeks)], [Series("Rate", [1] * weeks)], str)
    for label in (label for label in svg.labels if label.text.startswith("Nov")):
        width = len(label.text) * HALF_GLYPH * 2
        right = {"middle": label.x + width / 2, "end": label.x}[label.anchor]
        assert right <= WIDTH, label


def test_the_funnel_draws_each_stage_against_the_first():
    svg = funnel_chart([("Received", 10), ("Contacted", 5), ("Course complete", 0)], str)
    widths = [bar.width for bar in svg.bars]
    assert widths[1] == pytest.approx(widths[0] / 2) and widths[2] == 0
