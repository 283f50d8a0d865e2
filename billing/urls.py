from django.urls import path

from . import views
from .payments import staff_views as payment_staff
from .payments import views as payments
from .payments.webhook_view import stripe_webhook

app_name = "billing"

urlpatterns = [
    path("my/estimate/", views.my_estimate, name="my_estimate"),
    path("my/estimate/request/", views.request_gfe, name="request_gfe"),
    path("estimates/", views.coordinator_list, name="coordinator_list"),
    path("estimates/issue/<int:patient_id>/", views.issue_for_patient, name="issue_for_patient"),
    path("estimates/card/", views.estimate_card, name="estimate_card"),
    path("estimates/<int:pk>/", views.gfe_page, name="gfe"),
    path("estimates/<int:pk>/pdf/", views.gfe_pdf, name="gfe_pdf"),
    path("estimates/<int:pk>/acknowledge/", views.acknowledge, name="acknowledge"),
    path("estimates/<int:pk>/paper/", views.request_paper, name="request_paper"),
    path("estimates/paper/<int:pk>/printed/", views.paper_printed, name="paper_printed"),
    path("good-faith-estimate/", views.gfe_rights, name="gfe_rights"),
    path("payments/stripe/webhook/", stripe_webhook, name="stripe_webhook"),
    path("my/payments/", payments.my_payments, name="my_payments"),
    path("my/payments/accept/", payments.accept_policy, name="accept_policy"),
    path("my/payments/card/", payments.card_saved, name="card_saved"),
    path("payments/<int:pk>/receipt/", payments.receipt, name="receipt"),
    path("payments/<int:pk>/refund/", payment_staff.refund, name="refund"),
    path("payments/<int:pk>/retry/", payment_staff.retry, name="payment_retry"),
    path("payments/<int:pk>/write-off/", payment_staff.write_off, name="payment_write_off"),
    path("payments/failed/", payment_staff.failed_charges, name="failed_charges"),
    path("courses/<int:pk>/superbill.pdf", payment_staff.superbill_pdf, name="superbill"),
]
