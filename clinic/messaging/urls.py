from django.urls import path

from . import views, webhooks

app_name = "messaging"

urlpatterns = [
    path("messaging/outbox/", views.outbox, name="outbox"),
    path("my/reminders/", views.preferences, name="preferences"),
    path("messaging/replies/", views.replies, name="replies"),
    path(
        "messaging/patients/<int:patient_id>/consent/",
        views.consent_withdraw,
        name="consent_withdraw",
    ),
    path("messaging/twilio/sms/", webhooks.twilio_inbound_sms, name="twilio_inbound_sms"),
    path("messaging/twilio/status/", webhooks.twilio_status, name="twilio_status"),
    path(
        "messaging/twilio/voice/<int:message_id>/keypress/",
        webhooks.twilio_voice_keypress,
        name="twilio_voice_keypress",
    ),
]
