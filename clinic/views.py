import sys

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from .errors import database_unavailable
from .health import service_checks
from .models import Role, WorkerHeartbeat

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


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """CSRF_FAILURE_VIEW: a form sent after the session ran out (or from a page left open too
    long, or without cookies) gets the portal's own 403 page in the user's language, saying
    what to do, instead of Django's technical one. Nothing was saved; `reason` is for logs, not
    for the page."""
    back = request.headers.get("Referer", "")
    # Only a page of this site is offered as the way back.
    if not back.startswith(f"{request.scheme}://{request.get_host()}/"):
        back = ""
    return render(request, "403_csrf.html", {"back": back}, status=403)
