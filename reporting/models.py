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
