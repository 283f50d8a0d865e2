"""URLs that exist only under clinic.settings.bench (see clinic/bench_views.py)."""

from django.urls import path

from . import bench_views

app_name = "bench"

urlpatterns = [
    path("floor/<int:pk>/", bench_views.floor, name="floor"),
    path("availability/<int:location_pk>/", bench_views.availability, name="availability"),
]
