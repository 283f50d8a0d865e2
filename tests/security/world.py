"""A small clinic built with the real services: two patients, two providers and one user of
every staff role, each with their own objects, so a test can ask "may X open Y's page?"."""

import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from billing.models import Estimate
from billing.services import estimate_issue
from clinic.messaging.models import Message
from clinic.models import PatientProfile, Role, User
from intake import services as intake_services
from intake.models import ApiToken, IntakeCase, Referral, ReferralAttachment
from scheduling import services as scheduling_services
from scheduling.models import Course, InfusionSession, SlotHold
from tests.factories.billing import FacilityBillingIdentityFactory, fee_schedule
from tests.factories.intake import ProviderFactory, referral_data
from tests.factories.scheduling import (
    ChairFactory,
    LocationFactory,
    SessionTypeFactory,
    StaffShiftFactory,
    open_every_day,
)
from tests.factories.users import UserFactory

NY = ZoneInfo("America/New_York")
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def soon(days: int, hour: int = 10) -> dt.datetime:
    """A real future wall-clock time in Boston (the views use the real clock)."""
    day = timezone.now().astimezone(NY).date() + dt.timedelta(days=days)
    return dt.datetime(day.year, day.month, day.day, hour, tzinfo=NY)


@dataclass
class PatientWorld:
    user: User
    course: Course
    session: InfusionSession
    hold: SlotHold
    estimate: Estimate
    action_token: str


@dataclass
class ProviderWorld:
    user: User
    referral: Referral
    case: IntakeCase
    attachment: ReferralAttachment
    token: ApiToken


@dataclass
class World:
    patient: PatientWorld
    other_patient: PatientWorld
    provider: ProviderWorld
    other_provider: ProviderWorld
    staff: dict[str, User] = field(default_factory=dict)
    message: Message | None = None

    def actor(self, name: str) -> User | None:
        if name == "anonymous":
            return None
        if name in ("patient", "other_patient", "provider", "other_provider"):
            return getattr(self, name).user
        return self.staff[name]


def _patient(location, coordinator, first_name: str, phone: str, days: int) -> PatientWorld:
    user = UserFactory(role=Role.PATIENT, first_name=first_name, phone=phone)
    PatientProfile.objects.create(
        user=user,
        date_of_birth=dt.date(1984, 5, 17),
        sex="female",
        zip_code="02116",
        time_zone=NY,
    )
    course = scheduling_services.course_create(
        patient=user,
        location=location,
        planned_sessions=4,
        needs_clinician_review=False,
        created_by=coordinator,
    )
    session = scheduling_services.session_book(
        course=course, starts_at=soon(days), location=location, by=user
    )
    hold = scheduling_services.slot_hold(course=course, starts_at=soon(days + 3), location=location)
    estimate = estimate_issue(
        patient=user,
        location=location,
        infusion_count=4,
        scheduled_starts=[session.starts_at],
        diagnosis_codes=["G43.709"],
        issued_by=coordinator,
        reason="Course booked",
    )
    url = scheduling_services.session_action_url(session=session, kind="cancel")
    return PatientWorld(
        user=user,
        course=course,
        session=session,
        hold=hold,
        estimate=estimate,
        action_token=url.rstrip("/").rsplit("/", 1)[-1],
    )


def _provider(location, last_name: str, phone: str) -> ProviderWorld:
    provider = ProviderFactory()
    referral, _created = intake_services.referral_submit(
        provider=provider,
        data=referral_data(location=location, patient_last_name=last_name, mobile_phone=phone),
        attachments=[SimpleUploadedFile("notes.pdf", PDF, content_type="application/pdf")],
    )
    token, _key = intake_services.api_token_create(provider=provider, name="EHR")
    return ProviderWorld(
        user=provider.user,
        referral=referral,
        case=referral.intake_case,
        attachment=referral.attachments.get(),
        token=token,
    )


def build_world() -> World:
    location = LocationFactory(time_zone=NY, slug="boston", name="Boston")
    open_every_day(location)
    for n in (1, 2):
        ChairFactory(location=location, name=f"Chair {n}")
    StaffShiftFactory(
        location=location,
        starts_at=timezone.now() - dt.timedelta(days=1),
        ends_at=timezone.now() + dt.timedelta(days=60),
    )
    SessionTypeFactory()
    FacilityBillingIdentityFactory(location=location)
    fee_schedule(location, effective_date=timezone.now().date() - dt.timedelta(days=30))
    staff = {
        "coordinator": UserFactory(role=Role.COORDINATOR),
        "clinician": UserFactory(role=Role.CLINICIAN),
        "admin": UserFactory(role=Role.ADMIN, is_staff=True),
    }
    world = World(
        patient=_patient(location, staff["coordinator"], "Amelia", "+16175550101", 3),
        other_patient=_patient(location, staff["coordinator"], "Bea", "+16175550102", 4),
        provider=_provider(location, "Diaz", "+16175550123"),
        other_provider=_provider(location, "Ortiz", "+16175550124"),
        staff=staff,
    )
    world.message = Message.objects.order_by("pk").first()
    return world
