from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext as _

from .models import Role


def _nav_for(role: str) -> list[tuple[str, str]]:
    items = {
        Role.PATIENT: [
            (_("My course"), "scheduling:patient_home"),
            (_("My estimate"), "billing:my_estimate"),
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
    items[Role.PATIENT] += [(_("Reminders"), "messaging:preferences")]  # messaging
    items[Role.COORDINATOR] += [(_("Outbox"), "messaging:outbox")]  # messaging
    items[Role.ADMIN] += [(_("Outbox"), "messaging:outbox")]  # messaging
    items[Role.ADMIN] += [(_("Audit trail"), "clinic:audit_trail")]  # security
    items[Role.COORDINATOR] += [(_("Operations"), "clinic:operations")]  # operations dashboard
    items[Role.ADMIN].insert(1, (_("Operations"), "clinic:operations"))
    return [(label, reverse(name)) for label, name in items.get(role, [])]


def navigation(request) -> dict:
    user = getattr(request, "user", None)
    nav = _nav_for(user.role) if user is not None and user.is_authenticated else []
    return {
        "nav_items": nav,
        "current_path": request.path,
        "clinic_name": settings.CLINIC_NAME,
        "clinic_phone": settings.CLINIC_PHONE,
    }
