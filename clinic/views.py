import csv
import sys

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from . import operations
from .errors import database_unavailable
from .forms import OperationsFilterForm
from .health import service_checks
from .models import Role, WorkerHeartbeat
from .permissions import role_required

ROLE_HOMES = {
    Role.PATIENT: "scheduling:patient_home",
    Role.PROVIDER: "intake:provider_home",
    Role.COORDINATOR: "intake:queue",
    Role.CLINICIAN: "scheduling:clinician_home",
    Role.ADMIN: "clinic:admin_home",
}


@login_required
def home(request: HttpRequest) -> HttpResponse:
    return redirect(ROLE_HOMES[request.user.role])


@role_required(Role.ADMIN, Role.COORDINATOR)
@require_GET
def operations_dashboard(request: HttpRequest) -> HttpResponse:
    """Admins and coordinators: the last 90 days per location, as charts with their tables;
    ?format=csv&chart=<name> downloads one chart's numbers. Aggregates only: no patient appears,
    so nothing is audited. Clinicians are refused (it reports revenue, not their day)."""
    form = OperationsFilterForm(request.GET)  # every field optional: bare /operations/ is valid
    if not form.is_valid():
        return render(request, "clinic/operations.html", {"form": form}, status=400)
    location = form.cleaned_data["location"]
    summary = operations.operations_summary(location=location)
    charts = operations.dashboard_charts(summary)
    if form.cleaned_data["format"] == "csv":
        chart = next(c for c in charts if c.slug == form.cleaned_data["chart"])
        scope = location.slug if location else "all-locations"
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = (
            f'attachment; filename="operations-{chart.slug}-{scope}-{summary.last_day}.csv"'
        )
        writer = csv.writer(response)
        writer.writerow(chart.csv_headers)
        writer.writerows(chart.csv_rows())
        return response
    query = f"location={location.pk}&" if location else ""
    return render(
        request,
        "clinic/operations.html",
        {"form": form, "summary": summary, "charts": charts, "csv_query": query},
    )


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """For load balancers and monitoring: 200 only when PostgreSQL and Redis both answer."""
    checks = service_checks()
    failing = [name for name, ok in checks.items() if not ok]
    body = {
        "status": "ok" if not failing else "unavailable",
        "checks": {name: "ok" if ok else "unreachable" for name, ok in checks.items()},
    }
    if failing:
        body["failing"] = failing
    elif (beat := WorkerHeartbeat.objects.order_by("-beat_at").first()) is not None:
        body["last_worker_heartbeat"] = beat.beat_at.isoformat()
    return JsonResponse(body, status=503 if failing else 200)


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500. A database that is down is a 503 (try again shortly), not a fault of the
    page; rendered without the request's context, which would read the database again."""
    from django.template import loader

    if database_unavailable(sys.exc_info()[1]):
        page = loader.get_template("503.html").render({})
        return HttpResponse(page, status=503, headers={"Retry-After": "30"})
    context = {"sender_name": settings.MESSAGING_SENDER_NAME, "clinic_phone": settings.CLINIC_PHONE}
    return HttpResponse(loader.get_template("500.html").render(context), status=500)
