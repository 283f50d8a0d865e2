import csv
import datetime as dt

from django.db.models import Q
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, render

from clinic.models import Role, User
from clinic.params import pk_or_none, search_text
from clinic.permissions import role_required

from .selectors import audit_events_for_patient


def _patient(request: HttpRequest) -> User | None:
    pk = pk_or_none(request.GET.get("patient"))
    if pk is None:
        return None
    return get_object_or_404(User, pk=pk, role=Role.PATIENT)


@role_required(Role.ADMIN)
def audit_trail(request: HttpRequest) -> HttpResponse:
    """Clinic admins: find a patient, then read who looked at or changed their record."""
    q = search_text(request.GET.get("q"))
    matches = []
    if q:
        digits = "".join(ch for ch in q if ch in "0123456789")
        match = Q(email__iexact=q) | Q(last_name__iexact=q)
        if len(digits) >= 7:
            match |= Q(phone__endswith=digits[-10:])
        matches = list(User.objects.filter(match, role=Role.PATIENT).order_by("last_name")[:20])
    patient = _patient(request)
    events = list(audit_events_for_patient(patient=patient)[:500]) if patient else []
    return render(
        request,
        "clinic/audit_trail.html",
        {"q": q, "matches": matches, "patient": patient, "events": events},
    )


class _Echo:
    def write(self, value):
        return value


@role_required(Role.ADMIN)
def audit_trail_csv(request: HttpRequest) -> StreamingHttpResponse:
    patient = _patient(request)
    if patient is None:
        return HttpResponse("Choose a patient: ?patient=<id>", status=400)
    writer = csv.writer(_Echo())
    header = ["when_utc", "who", "role", "action", "object_type", "object_id", "ip", "page"]

    def rows():
        yield writer.writerow(header)
        for e in audit_events_for_patient(patient=patient).iterator(chunk_size=500):
            yield writer.writerow(
                [
                    e.at.astimezone(dt.UTC).isoformat(),
                    e.actor.email or e.actor_id,
                    e.actor_role,
                    e.action,
                    e.object_type,
                    e.object_id,
                    e.ip_address or "",
                    e.path,
                ]
            )

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="audit-patient-{patient.pk}.csv"'
    response["Cache-Control"] = "private, no-store"
    return response
