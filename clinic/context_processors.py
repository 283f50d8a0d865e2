from django.conf import settings
from django.urls import get_script_prefix, get_urlconf
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from .models import Role
from .paths import path_of

# Built once: each page translates only the asking role's labels (every page pays for this).
NAV: dict[str, list[tuple[str, str]]] = {
    Role.PATIENT: [
        (_("My course"), "scheduling:patient_home"),
        (_("My estimate"), "billing:my_estimate"),
        (_("Payments"), "billing:my_payments"),
    ],
    Role.PROVIDER: [
        (_("My referrals"), "intake:provider_home"),
        (_("Refer a patient"), "intake:referral_create"),
        (_("My account"), "intake:provider_account"),
    ],
    Role.COORDINATOR: [
        (_("Call queue"), "intake:queue"),
        (_("Intake dashboard"), "intake:dashboard"),
        (_("Courses"), "scheduling:coordinator_courses"),
        (_("Estimates"), "billing:coordinator_list"),
    ],
    Role.CLINICIAN: [(_("Today"), "scheduling:clinician_home")],
    Role.ADMIN: [(_("Overview"), "clinic:admin_home"), (_("Settings"), "admin:index")],
}
NAV[Role.PATIENT] += [(_("Reminders"), "messaging:preferences")]  # messaging
NAV[Role.COORDINATOR] += [(_("Outbox"), "messaging:outbox")]  # messaging
NAV[Role.ADMIN] += [(_("Outbox"), "messaging:outbox")]  # messaging
NAV[Role.COORDINATOR] += [(_("Replies"), "messaging:replies")]  # consent and opt-out
NAV[Role.ADMIN] += [(_("Replies"), "messaging:replies")]
NAV[Role.ADMIN] += [(_("Audit trail"), "clinic:audit_trail")]  # security
NAV[Role.COORDINATOR] += [(_("Operations"), "clinic:operations")]  # operations dashboard
NAV[Role.ADMIN].insert(1, (_("Operations"), "clinic:operations"))
# The people search (every chart is reached from it): second for coordinators, first for the rest.
NAV[Role.COORDINATOR].insert(1, (_("Find a patient"), "intake:people_search"))
NAV[Role.CLINICIAN].append((_("Find a patient"), "intake:people_search"))
NAV[Role.ADMIN].insert(2, (_("Find a patient"), "intake:people_search"))
NAV[Role.PATIENT].insert(1, (_("My diary"), "outcomes:mine"))  # outcomes
NAV[Role.COORDINATOR].append((_("Diaries"), "outcomes:silent"))
NAV[Role.PATIENT].insert(1, (_("Waitlist"), "waitlist:patient_join"))  # waitlist
NAV[Role.COORDINATOR].insert(4, (_("Waitlist"), "waitlist:coordinator_list"))
# Faxed and scanned referrals waiting to be read into the queue (intake/inbox).
NAV[Role.COORDINATOR].insert(1, (_("Inbox"), "intake:inbox"))


# Each role's menu in each language, translated and reversed once per process.
_NAV_KEPT: dict[tuple, tuple[tuple[str, str], ...]] = {}


def _nav_for(role: str) -> tuple[tuple[str, str], ...]:
    key = (role, get_language(), get_urlconf(), get_script_prefix())
    nav = _NAV_KEPT.get(key)
    if nav is None:
        items = NAV.get(role, [])
        nav = _NAV_KEPT[key] = tuple((str(label), path_of(name)) for label, name in items)
    return nav


def navigation(request) -> dict:
    user = getattr(request, "user", None)
    nav = _nav_for(user.role) if user is not None and user.is_authenticated else []
    return {
        "nav_items": nav,
        "current_path": request.path,
        # The clinic's full name tells what it treats: only signed-in pages show it; the sign-in
        # page, a link's landing page and the like show the neutral sender name.
        "clinic_name": settings.CLINIC_NAME
        if user is not None and user.is_authenticated
        else settings.MESSAGING_SENDER_NAME,
        "clinic_phone": settings.CLINIC_PHONE,
    }
