from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from clinic.models import Role
from clinic.permissions import role_required


@role_required(Role.PATIENT)
def patient_home(request: HttpRequest) -> HttpResponse:
    return render(request, "scheduling/patient_home.html")


@role_required(Role.CLINICIAN)
def clinician_home(request: HttpRequest) -> HttpResponse:
    return render(request, "scheduling/clinician_home.html")


def action_link(request: HttpRequest, token: str) -> HttpResponse:
    from django.http import Http404

    raise Http404
