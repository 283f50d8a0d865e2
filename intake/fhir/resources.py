"""FHIR resources the portal answers with: OperationOutcome for every refusal, and the referral
as a Task in the shape of HL7's BSeR (Bidirectional Services eReferral) implementation guide:
the Task's focus is the ServiceRequest, its status follows the referral, and businessStatus
carries the portal's own status with its reason."""

from datetime import datetime

from django.utils.translation import override

from outcomes.report import OutcomeReport

from ..models import Referral, ReferralStatus
from . import profile as p

# The referral's status as BSeR's Task.status.
TASK_STATUS = {
    ReferralStatus.RECEIVED: "requested",
    ReferralStatus.CONTACTING: "accepted",
    ReferralStatus.INTAKE_COMPLETE: "in-progress",
    ReferralStatus.SCHEDULED: "in-progress",
    ReferralStatus.IN_TREATMENT: "in-progress",
    ReferralStatus.COURSE_COMPLETE: "completed",
    ReferralStatus.DECLINED: "cancelled",
    ReferralStatus.UNREACHABLE: "on-hold",
    ReferralStatus.NOT_ELIGIBLE: "rejected",
}


def operation_outcome(issues: list[tuple[str, str, str]]) -> dict:
    """issues: (code, diagnostics, expression); code from FHIR's IssueType (invalid,
    required, value, structure, security, not-found, duplicate, too-costly, exception)."""
    return {
        "resourceType": "OperationOutcome",
        "issue": [
            {
                "severity": "error",
                "code": code,
                "diagnostics": diagnostics,
                **({"expression": [expression]} if expression else {}),
            }
            for code, diagnostics, expression in issues
        ],
    }


def _status_label(status: str) -> str:
    with override("en"):
        return str(ReferralStatus(status).label)


def referral_task(
    referral: Referral, *, version: int | None = None, report_ready: bool = False
) -> dict:
    """The referral as a Task at its latest status, or as it was at `version` (1 = received).
    With `report_ready` (the latest version of a referral whose course is complete) its output
    names the outcome report's DocumentReference."""
    changes = list(referral.history.all())
    version = len(changes) if version is None else version
    change = changes[version - 1] if changes else None
    status = change.to_status if change else referral.status
    reason = change.reason if change else referral.status_reason
    at = change.changed_at if change else referral.updated_at
    task = {
        "resourceType": "Task",
        "id": referral.reference,
        "meta": {"versionId": str(version), "lastUpdated": at.isoformat()},
        "identifier": [{"system": p.SYSTEM_REFERENCE, "value": referral.reference}],
        "basedOn": [{"reference": f"ServiceRequest/{referral.reference}"}],
        "status": TASK_STATUS[status],
        "businessStatus": {
            "coding": [
                {"system": p.CS_REFERRAL_STATUS, "code": status, "display": _status_label(status)}
            ],
            "text": _status_label(status),
        },
        "intent": "order",
        "code": {
            "coding": [
                {
                    "system": "http://hl7.org/fhir/CodeSystem/task-code",
                    "code": "fulfill",
                    "display": "Fulfill the focal request",
                }
            ]
        },
        "focus": {"reference": f"ServiceRequest/{referral.reference}"},
        "authoredOn": referral.created_at.isoformat(),
        "lastModified": at.isoformat(),
        "requester": {
            "identifier": {"system": p.SYSTEM_NPI, "value": referral.provider.npi},
        },
    }
    if reason:
        task["statusReason"] = {"text": reason}
    if report_ready:
        task["output"] = [
            {
                "type": {"text": "Outcome report"},
                "valueReference": {
                    "reference": f"DocumentReference/{referral.reference}",
                    "type": "DocumentReference",
                },
            }
        ]
    return task


# LOINC 11488-4 "Consult note": the report a consultant sends back to the referring provider.
OUTCOME_REPORT_TYPE = {
    "coding": [{"system": "http://loinc.org", "code": "11488-4", "display": "Consult note"}],
    "text": "Outcome report",
}


def outcome_document_reference(
    referral: Referral, report: OutcomeReport, *, pdf_url: str, now: datetime
) -> dict:
    """The referral's outcome report as a DocumentReference whose attachment is the PDF (a link
    to its Binary). Preliminary until the last follow-up is reached, then final."""
    final = all(point.reached for point in report.points)
    period = {}
    if report.infusion_dates:
        period = {
            "start": report.infusion_dates[0].isoformat(),
            "end": report.infusion_dates[-1].isoformat(),
        }
    return {
        "resourceType": "DocumentReference",
        "id": referral.reference,
        "identifier": [{"system": p.SYSTEM_REFERENCE, "value": referral.reference}],
        "status": "current",
        "docStatus": "final" if final else "preliminary",
        "type": OUTCOME_REPORT_TYPE,
        "date": now.isoformat(),
        "description": "Outcome report for the referral " + referral.reference,
        "content": [
            {
                "attachment": {
                    "contentType": "application/pdf",
                    "url": pdf_url,
                    "title": f"outcome-report-{referral.reference}.pdf",
                    "creation": now.isoformat(),
                }
            }
        ],
        "context": {
            **({"period": period} if period else {}),
            "related": [
                {"reference": f"ServiceRequest/{referral.reference}"},
                {"reference": f"Task/{referral.reference}"},
            ],
        },
    }


def task_history_bundle(referral: Referral) -> dict:
    """Every version of the Task, newest first, as a FHIR history Bundle."""
    count = referral.history.count()
    entries = [
        {
            "fullUrl": f"Task/{referral.reference}/_history/{v}",
            "resource": referral_task(referral, version=v),
            "request": {"method": "POST" if v == 1 else "PUT", "url": "Task"},
            "response": {"status": "201 Created" if v == 1 else "200 OK"},
        }
        for v in range(count, 0, -1)
    ]
    return {"resourceType": "Bundle", "type": "history", "total": count, "entry": entries}
