"""The referring provider's outcome report, read through the referral (the provider sees only
their own referrals: intake.selectors.referral_detail_for), and the e-mail telling them a
report (or a new time point of it) is ready. The figures are outcomes.report's."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from clinic.messaging.models import Message
from outcomes.models import OutcomePlan
from outcomes.report import OutcomeReport, outcome_report
from outcomes.scoring import MIN_RECORDED_DAYS
from scheduling.models import Location

from .models import Referral
from .notifications import _provider_email_queue

# How long after the last infusion the e-mails keep being looked for (the 3-month report,
# plus a week for a worker that was down).
NOTICE_HORIZON_DAYS = 97


def report_for_referral(*, referral: Referral, now: dt.datetime) -> OutcomeReport | None:
    if referral.course_id is None:
        return None
    plan = (
        OutcomePlan.objects.select_related("patient__patient_profile", "course")
        .filter(course_id=referral.course_id)
        .first()
    )
    return outcome_report(plan=plan, now=now) if plan else None


def report_context(report: OutcomeReport | None) -> dict:
    return {"report": report, "min_days": MIN_RECORDED_DAYS}


def outcome_report_pdf(
    *, referral: Referral, report: OutcomeReport, now: dt.datetime, base_url: str, request=None
) -> bytes:
    """The one-page report as a PDF (WeasyPrint, as the Good Faith Estimate): the provider's
    download and the FHIR Binary a DocumentReference links to."""
    from weasyprint import HTML  # imported here: loading Pango is slow and only PDFs need it

    html = render_to_string(
        "outcomes/report_pdf.html",
        {
            "referral": referral,
            "prepared": now,
            "zone": Location.objects.get(courses__id=referral.course_id).time_zone,
            **report_context(report),
        },
        request=request,
    )
    return HTML(string=html, base_url=base_url).write_pdf()


def outcome_report_notices_send(*, now: dt.datetime | None = None) -> int:
    """E-mail each referring provider once per time point reached (end of course, 1 and 3
    months after it) that their patient's outcome report is ready. The e-mail names only the
    referral's reference (no health information); its dedupe key makes a second run send
    nothing. Returns how many time points were looked at."""
    now = now or timezone.now()
    since = now.date() - dt.timedelta(days=NOTICE_HORIZON_DAYS)
    referrals = Referral.objects.select_related("provider__user").filter(
        course__outcome_plan__course_completed_on__gte=since
    )
    count = 0
    for referral in referrals:
        report = report_for_referral(referral=referral, now=now)
        for point in report.points if report else ():
            if not point.reached:
                continue
            with transaction.atomic():
                _report_ready_email_queue(referral=referral, time_point=point.key)
            count += 1
    return count


def _report_ready_email_queue(*, referral: Referral, time_point: str) -> Message:
    return _provider_email_queue(
        referral=referral,
        kind="outcome_report_ready",
        subject=lambda: (
            _("Referral %(reference)s: a report is ready") % {"reference": referral.reference}
        ),
        template="intake/email/outcome_report_ready.txt",
        once_per=f"outcome-report:{time_point}",
    )
