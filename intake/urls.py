from django.urls import path

from . import views

app_name = "intake"

urlpatterns = [
    path("provider/", views.provider_home, name="provider_home"),
    path("intake/queue/", views.queue, name="queue"),
]
