from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from clinic.models import Role
from clinic.permissions import role_required


@role_required(Role.PROVIDER)
def provider_home(request: HttpRequest) -> HttpResponse:
    return render(request, "intake/provider_home.html")


@role_required(Role.COORDINATOR)
def queue(request: HttpRequest) -> HttpResponse:
    return render(request, "intake/queue.html")
