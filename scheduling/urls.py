from django.urls import path

from . import views

app_name = "scheduling"

urlpatterns = [
    path("my/", views.patient_home, name="patient_home"),
    path("clinician/", views.clinician_home, name="clinician_home"),
    # Links in e-mails and texts: signed, single-use, GET only shows a button.
    path("s/<str:token>/", views.action_link, name="action_link"),
]
