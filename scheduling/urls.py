from django.urls import path

from . import views

app_name = "scheduling"

urlpatterns = [
    path("my/", views.patient_home, name="patient_home"),
    path("clinician/", views.clinician_home, name="clinician_home"),
]
