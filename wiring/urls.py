"""The root URLconf (settings.ROOT_URLCONF): every app's pages under one site. It sits on the top
floor because it names every app; the benchmark's own URLconf (bench/urls.py) adds to it."""

from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

import scheduling.urls
from billing import views as billing_views
from clinic import i18n, twofactor, views
from clinic.forms import SignInForm
from intake import views as intake_views
from reporting import overview
from reporting import views as reporting_views

clinic_patterns = (
    [
        path("clinic-admin/", overview.admin_home, name="admin_home"),
        # Admins and coordinators: referrals, chairs, attendance and revenue, last 90 days.
        path("operations/", reporting_views.operations_dashboard, name="operations"),
        # Security: the audit trail of staff access, per patient, and its CSV export.
        path("clinic-admin/audit/", reporting_views.audit_trail, name="audit_trail"),
        path("clinic-admin/audit.csv", reporting_views.audit_trail_csv, name="audit_trail_csv"),
    ],
    "clinic",
)

# Some scheduling pages show what a floor above knows, so that floor serves them under their
# scheduling names: the clinician's Today page (the held courses' referrals: intake), the
# coordinator's course page (the GFEs closed for the course: billing), and the patient's hold
# and confirmation pages (the late-cancellation fee: billing).
scheduling_patterns = (
    [
        *scheduling.urls.urlpatterns,
        path("clinician/", intake_views.clinician_home, name="clinician_home"),
        path(
            "coordinator/courses/<int:pk>/",
            billing_views.coordinator_course,
            name="coordinator_course",
        ),
        path(
            "my/hold/<int:pk>/",
            billing_views.patient_hold_confirm,
            name="patient_hold_confirm",
        ),
        path("my/booked/", billing_views.patient_booked, name="patient_booked"),
    ],
    "scheduling",
)

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(
            authentication_form=SignInForm, redirect_authenticated_user=True
        ),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    # Security: staff two-factor sign-in (clinic/twofactor.py).
    path("accounts/2fa/setup/", twofactor.setup, name="two_factor_setup"),
    path("accounts/2fa/verify/", twofactor.verify, name="two_factor_verify"),
    path("accounts/password-reset/", auth_views.PasswordResetView.as_view(), name="password_reset"),
    path(
        "accounts/password-reset/sent/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "accounts/reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "accounts/reset/done/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("api/schema/", SpectacularAPIView.as_view(), name="api_schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api_schema"), name="api_docs"),
    # The switcher posts here: Django's set_language, and a patient's preferred_language too.
    path("i18n/setlang/", i18n.set_language, name="set_language"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("", include(clinic_patterns)),
    path("", include("intake.urls")),
    path("", include(scheduling_patterns)),
    path("", include("billing.urls")),
    path("", include("outcomes.urls")),
    path("", include("waitlist.urls")),
    path("", include("clinic.messaging.urls")),
]

admin.site.site_header = f"{settings.CLINIC_NAME}: settings"
admin.site.site_title = settings.CLINIC_NAME

# A database that is down answers 503 with a short page (clinic.views.server_error).
handler500 = "clinic.views.server_error"
