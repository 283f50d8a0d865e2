"""The settings area, shaped like the clinic rather than like Django's apps.

Django's admin stays (it is the ecosystem's tool); this site only regroups what it lists into the
sections a clinic admin thinks in, with plain names. Models are named by label ("app.model"), so
this ground-floor module imports no app above it. What a clinic admin may open at all is decided
by permissions (clinic.auth_backends.ClinicAdminBackend grants them for CLINIC_ADMIN_MODELS): the
libraries' own tables (sign-in lockouts, two-factor devices, scheduled jobs, groups) are left to
superusers and show under *Technical* for them alone.
"""

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.utils.translation import gettext_lazy as _

# (section slug, section name, [(model label, plain name or None for the model's own)]).
SECTIONS = [
    (
        "locations",
        _("Locations and chairs"),
        [
            ("scheduling.location", _("Locations")),
            ("scheduling.chair", _("Chairs")),
            ("scheduling.sessiontype", _("Session types")),
            ("scheduling.courserules", _("Course rules")),
            ("waitlist.waitlistrules", _("Waitlist offers")),
        ],
    ),
    (
        "hours",
        _("Hours and closures"),
        [
            ("scheduling.openinghours", _("Opening hours")),
            ("scheduling.closure", _("Closures and holidays")),
        ],
    ),
    (
        "staff",
        _("Staff and shifts"),
        [
            ("clinic.user", _("People and their roles")),
            ("scheduling.staffshift", _("Staff shifts")),
        ],
    ),
    (
        "fees",
        _("Fees"),
        [
            ("billing.feeschedule", _("Fee schedules")),
            ("billing.facilitybillingidentity", _("Billing identity (NPI, TIN)")),
            ("billing.paymentpolicy", _("Payment policies (deposit, fees)")),
        ],
    ),
    (
        "messages",
        _("Messages and the reminder plan"),
        [
            ("clinic.messagetemplate", _("Message templates")),
            ("clinic.reminderplanentry", _("Reminder plan")),
            ("clinic.message", _("Messages sent and planned")),
            ("clinic.inboundreply", _("Replies from patients")),
            ("clinic.contactconsent", _("Consent to texts and calls")),
        ],
    ),
    (
        "providers",
        _("Referring providers"),
        [
            ("intake.referringprovider", _("Referring providers")),
            ("intake.apitoken", _("API keys")),
        ],
    ),
    (
        "records",
        _("Records (to look up)"),
        [
            ("intake.referral", _("Referrals")),
            ("intake.intakecase", _("Intake cases")),
            ("intake.possibleduplicate", _("Possible duplicates")),
            ("intake.inbounddocument", _("Faxed and scanned documents")),
            ("scheduling.course", _("Courses")),
            ("scheduling.infusionsession", _("Infusion sessions")),
            ("billing.estimate", _("Estimates")),
            ("billing.gfeobligation", _("Good Faith Estimates owed")),
            ("billing.payment", _("Payments (card charges and refunds)")),
            ("clinic.auditevent", _("Audit events")),
        ],
    ),
]

# Everything a clinic admin (role admin, staff, not superuser) is allowed to open.
CLINIC_ADMIN_MODELS = frozenset(label for _slug, _name, models in SECTIONS for label, _ in models)
# Records change through the portal's pages (which keep their history and rules); here a clinic
# admin only looks them up. Replies are marked handled on the Replies page.
VIEW_ONLY_MODELS = frozenset(label for label, _ in SECTIONS[-1][2]) | {
    "clinic.message",
    "clinic.inboundreply",
    "clinic.contactconsent",
}


class ClinicAdminSite(admin.AdminSite):
    index_title = _("Settings")

    def get_app_list(self, request, app_label=None):
        """The index and the sidebar list sections, not apps; an app's own page (/admin/<app>/)
        keeps Django's list for that app."""
        app_dict = self._build_app_dict(request, app_label)
        if app_label is not None:
            return super().get_app_list(request, app_label)
        by_label = {
            f"{app['app_label']}.{model['object_name'].lower()}": model
            for app in app_dict.values()
            for model in app["models"]
        }
        sections = []
        for slug, name, models in SECTIONS:
            rows = []
            for label, plain in models:
                model = by_label.pop(label, None)
                if model is not None:
                    rows.append({**model, "name": plain or model["name"]})
            if rows:
                sections.append(_section(slug, name, rows))
        if request.user.is_superuser and by_label:
            rest = sorted(by_label.values(), key=lambda m: str(m["name"]))
            sections.append(_section("technical", _("Technical (superusers only)"), rest))
        return sections


def _section(slug: str, name, models: list[dict]) -> dict:
    return {
        "name": name,
        "app_label": slug,
        "app_url": f"#{slug}",
        "has_module_perms": True,
        "models": models,
    }


class ClinicAdminConfig(AdminConfig):
    """Django's admin with this site as admin.site (INSTALLED_APPS names this class)."""

    default_site = "clinic.admin_site.ClinicAdminSite"
