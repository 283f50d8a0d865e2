"""The benchmark's root URLconf (clinic.settings.bench only, `./portal bench`): the portal's own
URLs plus two bench-only views (bench/views.py) under /bench/. Production never routes them:
its ROOT_URLCONF is wiring.urls, which does not know this package."""

from django.urls import include, path

from wiring.urls import handler500
from wiring.urls import urlpatterns as portal_urlpatterns

from . import views

bench_patterns = (
    [
        path("floor/<int:pk>/", views.floor, name="floor"),
        path("availability/<int:location_pk>/", views.availability, name="availability"),
    ],
    "bench",
)

urlpatterns = [*portal_urlpatterns, path("bench/", include(bench_patterns))]

__all__ = ["handler500", "urlpatterns"]
