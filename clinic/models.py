from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from phonenumber_field.modelfields import PhoneNumberField
from timezone_field import TimeZoneField


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class Role(models.TextChoices):
    PATIENT = "patient", _("Patient")
    PROVIDER = "provider", _("Referring provider")
    COORDINATOR = "coordinator", _("Coordinator")
    CLINICIAN = "clinician", _("Clinician")
    ADMIN = "admin", _("Clinic admin")


STAFF_ROLES = frozenset({Role.COORDINATOR, Role.CLINICIAN, Role.ADMIN})


class PrescriberCredential(models.TextChoices):
    """Who may sign off an infusion course: a clinician licensed to prescribe, as the clinic
    admin records it (Settings → Users). A nurse has none."""

    NONE = "", _("Not a prescriber")
    PHYSICIAN = "physician", _("Physician (MD/DO)")
    NURSE_PRACTITIONER = "np", _("Nurse practitioner")
    PHYSICIAN_ASSISTANT = "pa", _("Physician assistant")


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email, password, **extra):
        email = self.normalize_email(email).lower() if email else None
        user = self.model(email=email, **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email=None, password=None, **extra):
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email, password=None, **extra):
        extra.update(is_staff=True, is_superuser=True, role=Role.ADMIN)
        return self._create_user(email, password, **extra)

    def get_by_natural_key(self, username):
        return self.get(email__iexact=username)


class User(AbstractUser):
    """Everyone who signs in. Patients may have no e-mail (referrals only require a mobile phone),
    so a user signs in with either; at least one of the two is always present."""

    username = None
    email = models.EmailField(_("e-mail"), unique=True, null=True, blank=True)
    phone = PhoneNumberField(_("mobile phone"), unique=True, null=True, blank=True)
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    preferred_language = models.CharField(
        _("preferred language"),
        max_length=5,
        choices=[("en", "English"), ("es", "Español")],
        default="en",
    )
    prescriber = models.CharField(
        _("prescribing clinician"),
        max_length=10,
        choices=PrescriberCredential.choices,
        blank=True,
        default="",
        help_text=_("Only a prescribing clinician may sign off a course held for review."),
    )

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    objects = UserManager()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(role__in=Role.values), name="user_role_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(email__isnull=False) | models.Q(phone__isnull=False),
                name="user_has_email_or_phone",
            ),
            models.UniqueConstraint(Lower("email"), name="user_email_ci_unique"),
            models.CheckConstraint(
                condition=models.Q(prescriber__in=PrescriberCredential.values),
                name="user_prescriber_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(prescriber="") | models.Q(role="clinician"),
                name="user_prescriber_is_a_clinician",
            ),
        ]

    def __str__(self) -> str:
        return self.get_full_name() or self.email or str(self.phone)

    @property
    def is_clinic_staff(self) -> bool:
        return self.role in STAFF_ROLES

    @property
    def can_sign_off_courses(self) -> bool:
        return self.role == Role.CLINICIAN and bool(self.prescriber)


class WorkerHeartbeat(models.Model):
    """Written by a periodic task so that /healthz can tell whether beat and a worker run."""

    beat_at = models.DateTimeField(default=timezone.now, db_index=True)
    hostname = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["-beat_at"]
        get_latest_by = "beat_at"

    def __str__(self) -> str:
        return f"{self.hostname} at {self.beat_at:%Y-%m-%d %H:%M:%S %Z}"


class Sex(models.TextChoices):
    FEMALE = "female", _("Female")
    MALE = "male", _("Male")
    OTHER = "other", _("Other / not listed")
    UNKNOWN = "unknown", _("Prefers not to say")


class PatientProfile(TimeStampedModel):
    """What the clinic keeps about a patient beyond the sign-in; created at intake."""

    user = models.OneToOneField(User, on_delete=models.PROTECT, related_name="patient_profile")
    date_of_birth = models.DateField(_("date of birth"))
    sex = models.CharField(_("sex"), max_length=10, choices=Sex.choices)
    zip_code = models.CharField(_("ZIP code"), max_length=10)
    time_zone = TimeZoneField(_("time zone"), use_pytz=False)
    # Reminders and notices go this way unless a message says otherwise (clinic.messaging).
    preferred_channel = models.CharField(
        _("reminders by"),
        max_length=10,
        choices=[("sms", _("Text message")), ("voice", _("Phone call")), ("email", _("E-mail"))],
        default="sms",
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(sex__in=Sex.values), name="patient_sex_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(preferred_channel__in=["sms", "voice", "email"]),
                name="patient_preferred_channel_valid",
            ),
        ]

    def __str__(self) -> str:
        return str(self.user)


# Messaging keeps its models in its own module; importing them here registers them with the app.
# The audit trail of staff access to patient records (clinic/audit).
from clinic.audit.models import *  # noqa: E402, F403
from clinic.messaging.models import *  # noqa: E402, F403
