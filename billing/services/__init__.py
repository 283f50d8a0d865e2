"""Writes for billing: issuing estimates (Good Faith Estimates), acknowledging them, and
recording when the clinic comes to owe one.

estimates.py issues and acknowledges the document; gfe.py keeps the obligations the rule sets
(when a GFE is owed, by when, and when it no longer is) and paper copies. Import from here."""

from .estimates import (
    ESTIMATE_REASONS,
    estimate_acknowledge,
    estimate_document_store,
    estimate_issue,
    estimate_quote,
    estimates_without_document,
)
from .gfe import (
    GFE_LONG_NOTICE,
    GFE_MIN_NOTICE,
    NO_SESSION_LEFT,
    courses_owed_an_estimate,
    estimate_issue_after_course_change,
    estimate_issue_for_course,
    gfe_close_for_cancelled_course,
    gfe_due_after_request,
    gfe_due_after_scheduling,
    gfe_paper_mark_printed,
    gfe_record_course_change,
    gfe_record_request,
    gfe_record_scheduling,
    gfe_request_paper,
)

__all__ = [
    "ESTIMATE_REASONS",
    "GFE_LONG_NOTICE",
    "GFE_MIN_NOTICE",
    "NO_SESSION_LEFT",
    "courses_owed_an_estimate",
    "estimate_acknowledge",
    "estimate_document_store",
    "estimate_issue",
    "estimate_issue_after_course_change",
    "estimate_issue_for_course",
    "estimate_quote",
    "estimates_without_document",
    "gfe_close_for_cancelled_course",
    "gfe_due_after_request",
    "gfe_due_after_scheduling",
    "gfe_paper_mark_printed",
    "gfe_record_course_change",
    "gfe_record_request",
    "gfe_record_scheduling",
    "gfe_request_paper",
]
