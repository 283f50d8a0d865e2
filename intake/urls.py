from django.urls import path

from . import api, chart_views, views
from .fhir import views as fhir_views
from .inbox import views as inbox_views
from .inbox import webhook as inbox_webhook

app_name = "intake"

urlpatterns = [
    path("provider/", views.provider_home, name="provider_home"),
    path("provider/signup/", views.provider_signup, name="provider_signup"),
    path("provider/account/", views.provider_account, name="provider_account"),
    path("provider/account/keys/<int:pk>/revoke/", views.api_token_revoke, name="api_token_revoke"),
    path("provider/referrals/new/", views.referral_create, name="referral_create"),
    path(
        "provider/referrals/<str:reference>/submitted/",
        views.referral_submitted,
        name="referral_submitted",
    ),
    path("referrals/<str:reference>/", views.referral_detail, name="referral_detail"),
    path(
        "referrals/<str:reference>/outcome-report.pdf",
        views.referral_outcome_pdf,
        name="referral_outcome_pdf",
    ),
    path("referrals/attachments/<int:pk>/", views.attachment_download, name="attachment_download"),
    path("intake/queue/", views.queue, name="queue"),
    path("intake/next-call/", views.next_call, name="next_call"),
    path("intake/dashboard/", views.dashboard, name="dashboard"),
    path("intake/cases/<int:pk>/", views.call_screen, name="call_screen"),
    path("intake/cases/<int:pk>/take/", views.take_call, name="take_call"),
    path("intake/cases/<int:pk>/release/", views.release_call, name="release_call"),
    path("intake/cases/<int:pk>/checklist/", views.checklist_toggle, name="checklist_toggle"),
    path("intake/cases/<int:pk>/log/", views.log_call, name="log_call"),
    # The patient chart and the people search (clinic staff).
    path("patients/", chart_views.people_search, name="people_search"),
    path("patients/<int:pk>/", chart_views.patient_chart, name="patient_chart"),
    path(
        "patients/<int:pk>/invitation/",
        chart_views.invitation_resend_view,
        name="invitation_resend",
    ),
    path(
        "patients/referral/<str:reference>/",
        chart_views.referral_chart,
        name="referral_chart",
    ),
    # The document inbox: faxes and scans waiting to become referrals (intake/inbox/).
    path("intake/inbox/", inbox_views.inbox, name="inbox"),
    path("intake/inbox/fax", inbox_webhook.fax_inbound, name="inbox_fax_webhook"),
    path("intake/inbox/<int:pk>/", inbox_views.inbox_document, name="inbox_document"),
    path("intake/inbox/<int:pk>/file/", inbox_views.inbox_file, name="inbox_file"),
    path("intake/inbox/<int:pk>/attach/", inbox_views.inbox_attach, name="inbox_attach"),
    path("intake/inbox/<int:pk>/dismiss/", inbox_views.inbox_dismiss, name="inbox_dismiss"),
    path(
        "intake/inbox/<int:pk>/pages/<int:number>.png",
        inbox_views.inbox_page_image,
        name="inbox_page_image",
    ),
    path("welcome/<str:token>/", views.invitation, name="invitation"),
    path("api/v1/referrals", api.ReferralCreateView.as_view(), name="api_referral_create"),
    # FHIR R4 for EHRs (intake/fhir/), with the same keys.
    path(
        "fhir/ServiceRequest",
        fhir_views.ServiceRequestCreateView.as_view(),
        name="fhir_service_request_create",
    ),
    path("fhir/Task/<str:reference>", fhir_views.TaskDetailView.as_view(), name="fhir_task"),
    path(
        "fhir/DocumentReference/<str:reference>",
        fhir_views.DocumentReferenceView.as_view(),
        name="fhir_document_reference",
    ),
    path(
        "fhir/Binary/outcome-report-<str:reference>",
        fhir_views.OutcomeBinaryView.as_view(),
        name="fhir_outcome_binary",
    ),
    path(
        "fhir/Task/<str:reference>/_history",
        fhir_views.TaskHistoryView.as_view(),
        name="fhir_task_history",
    ),
    # Last of the FHIR addresses: anything else under /fhir/ is an OperationOutcome too.
    path("fhir/<path:rest>", fhir_views.FhirNotSupportedView.as_view(), name="fhir_not_supported"),
    path(
        "api/v1/referrals/<str:reference>",
        api.ReferralDetailView.as_view(),
        name="api_referral_detail",
    ),
]
