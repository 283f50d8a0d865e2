"""Reports for clinic staff: the operations dashboard (aggregates only) and the per-patient audit
trail. They read every app, so they sit above them all."""

import csv
import datetime as dt
import threading

from django.db.models import Q
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.views.decorators.http import require_GET

from clinic.models import Role, User
from clinic.params import pk_or_none, search_text
from clinic.permissions import role_required
from scheduling.models import Location

from . import operations
from .forms import OperationsFilterForm
from .operations.outcome_charts import outcome_charts
from .selectors import audit_events_for_patient

# --- operations dashboard ----------------------------------------------------------------------


@role_required(Role.ADMIN, Role.COORDINATOR)
@require_GET
def operations_dashboard(request: HttpRequest) -> HttpResponse:
    """Admins and coordinators: the last 90 days per location, as charts with their tables;
    ?format=csv&chart=<name> downloads one chart's numbers (the same kept figures as the page).
    The figures are read as kept (operations/kept.py: recomputed every 10 minutes), not
    computed per request, and each process reads and draws each kept row once
    (operations/page.py). Aggregates only: no patient appears, so nothing is audited.
    Clinicians are refused (it reports revenue, not their day)."""
    now = timezone.now()
    reads = operations.page_reads(location_id=pk_or_none(request.GET.get("location")), now=now)
    form = OperationsFilterForm(request.GET, locations=reads.locations)  # bare /operations/ too
    if not form.is_valid():
        return render(request, "clinic/operations.html", {"form": form}, status=400)
    location_id = form.cleaned_data["location"]
    location = Location.objects.get(pk=location_id) if location_id else None
    ops, responders = operations.kept_figures(reads=reads, location=location, now=now)
    query = f"location={location_id}&" if location else ""
    if form.cleaned_data["format"] != "csv":
        return render(
            request,
            "clinic/operations.html",
            {
                "form": form,
                "summary": ops.figures,
                "charts_html": _charts_html(ops, responders, query),
                # The kept figures' time, in the location's zone (all locations: the clinic's).
                "counted_zone": location.time_zone if location else None,
                "refills": reads.refills,
            },
        )
    charts = operations.dashboard_charts(ops.figures) + outcome_charts(responders.figures)
    chart = next(c for c in charts if c.slug == form.cleaned_data["chart"])
    scope = location.slug if location else "all-locations"
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="operations-{chart.slug}-{scope}-{ops.figures.last_day}.csv"'
    )
    writer = csv.writer(response)
    writer.writerow(chart.csv_headers)
    writer.writerows(chart.csv_rows())
    return response


# The charts' HTML, kept per process by what it is drawn from: the figures (their repr, worked
# out once per read: operations/page.py), the language and the scope's query. Drawing seven
# charts with their tables is most of the page's work, and the figures change only when
# recounted (every 10 minutes), so each process draws each scope once per recount.
_CHARTS_HTML: dict[tuple[str, str, str, str], str] = {}
_CHARTS_HTML_MAX = 32  # scopes × languages × recounts still wanted; more is cleared, not grown
_CHARTS_HTML_LOCK = threading.Lock()


def _charts_html(ops: operations.Kept, responders: operations.Kept, query: str) -> str:
    key = (get_language(), query, ops.fingerprint, responders.fingerprint)
    html = _CHARTS_HTML.get(key)
    if html is None:
        charts = operations.dashboard_charts(ops.figures) + outcome_charts(responders.figures)
        html = render_to_string(
            "clinic/partials/_charts.html", {"charts": charts, "csv_query": query}
        )
        with _CHARTS_HTML_LOCK:
            if len(_CHARTS_HTML) >= _CHARTS_HTML_MAX:
                _CHARTS_HTML.clear()
            _CHARTS_HTML[key] = html
    return mark_safe(html)  # noqa: S308 - rendered by the autoescaping environment above


# --- audit trail -------------------------------------------------------------------------------


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
