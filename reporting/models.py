from django.db import models


class ResponderCounts(models.Model):
    """The responder rates' counts as last computed (operations/outcome_figures.py). Counting
    reads every diary day of a year's completed courses, seconds on a large clinic, so the
    dashboard reads these rows instead: beat recounts them every few minutes, and the page
    itself when they are older than that. One row."""

    computed_at = models.DateTimeField()
    # [[location_id, infusions, patients, with_figures, responders], …], as the query gives them.
    rows = models.JSONField()

    class Meta:
        verbose_name_plural = "responder counts"

    def __str__(self) -> str:
        return f"Responder counts of {self.computed_at:%Y-%m-%d %H:%M %Z}"


class OperationsFigures(models.Model):
    """The dashboard's 90-day figures (operations/figures.py) of one scope as last computed: a
    location's, or every location's together (location empty). Five aggregates over 90 days of
    referrals, sessions and payments take about a second on a large clinic, so the page reads
    these rows: beat recomputes them every few minutes, and the page itself when its row is
    older than that (operations/kept.py). One row per scope."""

    location = models.ForeignKey(
        "scheduling.Location",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    computed_at = models.DateTimeField()
    # The Operations summary as kept.operations_json writes it (amounts as strings, never float).
    figures = models.JSONField()

    class Meta:
        verbose_name_plural = "operations figures"
        constraints = [
            # One row per scope; the all-locations row (no location) is one scope too.
            models.UniqueConstraint(
                fields=["location"],
                nulls_distinct=False,
                name="operations_figures_one_per_scope",
                violation_error_message="These figures are already kept.",
            )
        ]

    def __str__(self) -> str:
        scope = f"location {self.location_id}" if self.location_id else "all locations"
        return f"Operations figures of {scope}, {self.computed_at:%Y-%m-%d %H:%M %Z}"
