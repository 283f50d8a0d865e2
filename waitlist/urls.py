from django.urls import path

from . import views

app_name = "waitlist"

urlpatterns = [
    path("my/waitlist/", views.patient_join, name="patient_join"),
    # Links in texts and e-mails: signed; GET only shows a button.
    path("w/<str:token>/", views.offer, name="offer"),
    path("coordinator/waitlist/", views.coordinator_list, name="coordinator_list"),
    path(
        "coordinator/courses/<int:pk>/waitlist/",
        views.coordinator_join,
        name="coordinator_join",
    ),
]
