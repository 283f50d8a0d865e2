"""Bad input, property-based: every form and the API serializer, fed arbitrary data through
the real view (so a 500 would show), answers a clean error or a valid result, and an error
writes nothing.

Each example starts from a valid submission and spoils up to four of its fields (missing,
text with NUL bytes and other unicode, huge numbers, lists where one value is expected, keys
nobody asked for), or sends something random altogether. Every request runs in a savepoint
that is rolled back, so all examples see the same small clinic (tests/security/world.py).
The number of examples comes from the Hypothesis profile (tests/conftest.py)."""

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from django.apps import apps
from django.contrib import messages
from django.db import connection, transaction
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from clinic.messaging.models import Message
from clinic.models import Role
from intake import services as intake_services
from intake.models import IntakeCase
from scheduling import services as scheduling_services
from tests.conftest import REAL_FORCE_LOGIN
from tests.factories.intake import valid_npi
from tests.factories.users import PASSWORD, UserFactory
from tests.security.world import PDF, World, build_world, soon

pytestmark = pytest.mark.django_db

# The tables a request could write to. Sessions and axes' sign-in attempts change on any
# sign-in try, by design, and are left out.
WATCHED_APPS = {"auth", "billing", "clinic", "intake", "scheduling", "waitlist", "otp_totp"}
DROP = object()  # a field the example leaves out
# A staff page that shows patients writes who looked (clinic/audit), even when it only reads.
AUDITED = frozenset({"clinic_auditevent"})

# --- what goes into a field --------------------------------------------------------------------

NASTY = st.sampled_from(
    [
        "",
        " ",
        "\x00",
        "a\x00b",
        "-1",
        "0",
        "1e400",
        "99999999999999999999999999999999",
        "9" * 5000,
        "NaN",
        "null",
        "true",
        "2026-02-30",
        "0001-01-01",
        "9999-12-31T23:59",
        "2026-13-45T25:61:00+9900",
        "<script>alert(1)</script>",
        "' OR 1=1 --",
        "../../etc/passwd",
        "\u202e\u0000\ufeff",
        "😀" * 50,
        "x" * 20000,
        "x" * 100_000,
        "Ana\u202eziD",
        "０２１１６",
        "١٢٣٤٥٦٧٨٩٣",
        "１２３４５６",
        "02116\u200b",
    ]
)
# Text from every Unicode category (all but lone surrogates, which UTF-8 cannot carry), and
# numbers written in every script's digits.
ANY_CHARACTER = st.characters(exclude_categories=["Cs"])
CONTROL_AND_FORMAT = st.characters(categories=["Cc", "Cf", "Zl", "Zp", "Co", "Cn"])
OTHER_DIGITS = st.text(st.characters(categories=["Nd", "No", "Nl"]), min_size=1, max_size=12)
TEXT = st.one_of(
    NASTY,
    st.text(ANY_CHARACTER, max_size=60),
    st.text(st.one_of(CONTROL_AND_FORMAT, st.sampled_from("Ana 0")), max_size=20),
    OTHER_DIGITS,
    st.integers().map(str),
    st.floats().map(str),
)
FORM_VALUE = st.one_of(TEXT, st.lists(TEXT, max_size=3))
JSON_LEAF = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False, allow_infinity=False), TEXT
)


def _nested(depth: int):
    value: object = "deep"
    for level in range(depth):
        value = [value] if level % 2 else {"a": value}
    return value


JSON_ANY = st.one_of(
    st.recursive(
        JSON_LEAF,
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner),
        max_leaves=6,
    ),
    # Far deeper than any field needs (the parser refuses past 16 levels; tests/security/
    # test_hardening.py sends 100,000 as raw text).
    st.integers(min_value=10, max_value=300).map(_nested),
)
EXTRA_KEY = st.text(alphabet="abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=12)


def spoiled(valid: dict, junk: st.SearchStrategy, alternatives: dict | None = None):
    """`valid` with up to four fields dropped, replaced by junk or by another plausible value,
    and maybe a key nobody asked for."""
    alternatives = alternatives or {}
    keys = sorted(valid)

    def value_for(key):
        options = [st.just(DROP), junk]
        if key in alternatives:
            options.append(st.sampled_from(alternatives[key]))
        return st.one_of(*options)

    changes = st.lists(st.sampled_from(keys), max_size=4, unique=True).flatmap(
        lambda chosen: st.fixed_dictionaries({k: value_for(k) for k in chosen})
    )
    extras = st.dictionaries(EXTRA_KEY, junk, max_size=2)

    def apply(parts):
        change, extra = parts
        data = {**extra, **valid, **change}
        return {k: v for k, v in data.items() if v is not DROP}

    return st.tuples(changes, extras).map(apply)


def form_input(valid: dict, alternatives: dict | None = None):
    """Mostly a spoiled valid form; sometimes fields drawn from nothing at all."""
    anything = st.dictionaries(st.sampled_from(sorted(valid)) | EXTRA_KEY, FORM_VALUE, max_size=6)
    return st.one_of(spoiled(valid, FORM_VALUE, alternatives), anything)


# --- what counts as an answer --------------------------------------------------------------------


def _tables() -> list[str]:
    return sorted(
        m._meta.db_table
        for m in apps.get_models()
        if m._meta.app_label in WATCHED_APPS and m._meta.managed and not m._meta.proxy
    )


def snapshot(exclude: frozenset = frozenset()) -> dict[str, tuple[int, int]]:
    """Row count and a checksum of every row of every watched table: an insert, an update or a
    delete changes it."""
    tables = [t for t in _tables() if t not in exclude]
    sql = " UNION ALL ".join(
        f"SELECT '{t}', count(*), coalesce(sum(hashtext(x::text)::bigint), 0) FROM \"{t}\" x"
        for t in tables
    )
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return {name: (count, checksum) for name, count, checksum in cursor.fetchall()}


def flashed(response, level: int) -> bool:
    return any(m.level == level for m in messages.get_messages(response.wsgi_request))


def template_used(response, name: str) -> bool:
    return any(t.name == name for t in response.templates)


@dataclass
class Target:
    """One form (or serializer) behind one view."""

    actor: str
    method: str
    url: Callable[[World], str]
    data: Callable[[World], st.SearchStrategy]
    # Did the input go through? None: this view never writes (a filter, a page).
    accepted: Callable | None
    statuses: tuple = (200, 302, 400, 404, 409, 410)
    unwatched: frozenset = field(default_factory=frozenset)
    json: bool = False


def _iso(instant: dt.datetime) -> str:
    return instant.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")


def _starts(w: World) -> list[str]:
    return [_iso(soon(d, h)) for d in (6, 9, 12) for h in (9, 10, 14)]


def _referral_fields(w: World) -> dict:
    return {
        "patient_first_name": "Ana",
        "patient_last_name": "Diaz",
        "date_of_birth": "1984-03-02",
        "sex": "female",
        "mobile_phone": "(617) 555-0199",
        "email": "ana@example.test",
        "preferred_language": "es",
        "zip_code": "02116",
        "preferred_location": "boston",
        "contact_consent": "on",
        "diagnosis_code": "G43.709",
        "headache_days_per_month": "18",
        "years_with_migraine": "12",
        "preventives_tried": ["topiramate", "other"],
        "preventives_other": "propranolol",
        "current_medications": "",
        "contraindications": [],
        "no_contraindications": True,
        "recommended_infusions": "3",
        "urgency": "urgent",
        "notes": "",
    }


UPLOADS = st.lists(
    st.tuples(
        st.sampled_from(["notes.pdf", "../../x.pdf", "a\x00.pdf", "", "y" * 300 + ".png"]),
        st.sampled_from([PDF, b"MZ\x90\x00" + PDF, b"", b"\x89PNG\r\n\x1a\n" + b"\0" * 30]),
    ),
    max_size=3,
)


def _referral_form(w: World):
    from django.core.files.uploadedfile import SimpleUploadedFile

    def attach(parts):
        data, files = parts
        if files:
            data["attachments"] = [SimpleUploadedFile(name or "f", body) for name, body in files]
        return data

    alternatives = {
        "preferred_location": ["boston", "atlantis", str(w.patient.course.location_id)],
        "date_of_birth": ["2999-01-01", "1890-01-01", "03/02/1984"],
        "recommended_infusions": ["0", "6", "7"],
        "diagnosis_code": ["G44.209", "G43.909"],
        "zip_code": ["02116-1234", "ABCDE", "99999"],
    }
    return st.tuples(form_input(_referral_fields(w), alternatives), UPLOADS).map(attach)


def _api_body(w: World):
    valid = {
        **_referral_fields(w),
        "contact_consent": True,
        "headache_days_per_month": 18,
        "years_with_migraine": 12,
        "recommended_infusions": 3,
        "attachments": [{"filename": "n.pdf", "content_base64": "JVBERi0xLjQKJSVFT0YK"}],
    }
    alternatives = {
        "attachments": [
            [{"filename": "../../n.pdf", "content_base64": "%%%"}],
            [{"filename": "\x00", "content_base64": "TVqQAA=="}],
            "not a list",
            [None, 1],
        ],
        "preventives_tried": ["topiramate", None, {"a": 1}],
    }
    return st.one_of(spoiled(valid, JSON_ANY, alternatives), JSON_ANY)


def _day_form(w: World):
    loc = w.patient.course.location_id
    today = soon(0).date()
    return form_input(
        {"location": str(loc), "date": str(today + dt.timedelta(days=3))},
        {"location": ["0", "-1", "999999"], "date": [str(today), "2026-02-29"]},
    )


def _start_form(w: World, **more):
    loc = str(w.patient.course.location_id)
    return form_input(
        {"starts_at": _starts(w)[0], "location": loc, **more},
        {"starts_at": _starts(w), "location": ["0", "abc", "99999999999"]},
    )


TARGETS: dict[str, Target] = {
    # clinic
    "SignInForm (sign-in)": Target(
        "anonymous",
        "post",
        lambda w: reverse("login"),
        lambda w: form_input(
            {"username": w.patient.user.email, "password": PASSWORD},
            {"username": [w.patient.user.phone, "+16175550101"]},
        ),
        accepted=lambda r: r.status_code == 302,
        statuses=(200, 302, 429),
    ),
    "PasswordResetForm (forgot password)": Target(
        "anonymous",
        "post",
        lambda w: reverse("password_reset"),
        lambda w: form_input({"email": w.patient.user.email}, {"email": ["nobody@x.example"]}),
        # Answers the same whether or not the address has an account; writes nothing.
        accepted=None,
    ),
    "TokenForm (staff second factor)": Target(
        "coordinator_password_only",
        "post",
        lambda w: reverse("two_factor_verify"),
        lambda w: form_input(
            {"token": "123456"}, {"token": ["000000", "12 34 56", "１２３４５６"]}
        ),
        accepted=lambda r: r.status_code == 302,
        unwatched=frozenset({"otp_totp_totpdevice"}),  # failed codes are counted, by design
    ),
    "TokenForm (staff setting up an authenticator)": Target(
        "coordinator_without_device",
        "post",
        lambda w: reverse("two_factor_setup"),
        lambda w: form_input({"token": "123456"}, {"token": ["000000", "1234567", "abcdef"]}),
        accepted=lambda r: r.status_code == 302,
        unwatched=frozenset({"otp_totp_totpdevice"}),  # the unconfirmed device, made on any visit
    ),
    "OutboxFilterForm (outbox)": Target(
        "coordinator",
        "get",
        lambda w: reverse("messaging:outbox"),
        lambda w: form_input({"status": "failed", "channel": "sms", "page": "2"}),
        accepted=None,
        unwatched=AUDITED,
    ),
    "ReminderPreferencesForm (reminders)": Target(
        "patient",
        "post",
        lambda w: reverse("messaging:preferences"),
        lambda w: form_input(
            {"preferred_channel": "sms", "language": "es", "texts": "on", "calls": ""},
            {"preferred_channel": ["voice", "email", "fax"]},
        ),
        accepted=lambda r: r.status_code == 302,
    ),
    "StaffRevocationForm (coordinator records a revocation)": Target(
        "coordinator",
        "post",
        lambda w: reverse("messaging:consent_withdraw", args=[w.patient.user.pk]),
        lambda w: form_input(
            {"channels": ["sms", "voice"], "how": "by phone", "note": "asked on the phone"},
            {"channels": [["email"], ["fax"], []], "how": ["in person", "by pigeon"]},
        ),
        accepted=lambda r: r.status_code == 302,
    ),
    "ReplyHandledForm (replies needing attention)": Target(
        "coordinator",
        "post",
        lambda w: reverse("messaging:replies"),
        lambda w: form_input({"reply": "1"}, {"reply": ["0", "-1", "2147483648", "x"]}),
        accepted=lambda r: flashed(r, messages.SUCCESS),
    ),
    # intake
    "ReferralForm (web)": Target(
        "provider",
        "post",
        lambda w: reverse("intake:referral_create"),
        _referral_form,
        accepted=lambda r: r.status_code == 302,
    ),
    "ReferralIn (API)": Target(
        "api",
        "post",
        lambda w: "/api/v1/referrals",
        _api_body,
        accepted=lambda r: r.status_code in (200, 201),
        statuses=(200, 201, 400, 413, 422),
        unwatched=frozenset({"intake_apitoken"}),  # last_used_at: every authenticated call
        json=True,
    ),
    "ProviderSignUpForm": Target(
        "anonymous",
        "post",
        lambda w: reverse("intake:provider_signup"),
        lambda w: form_input(
            {
                "first_name": "Lee",
                "last_name": "Park",
                "email": "lee.park@neuro.example",
                "practice_name": "Park Neurology",
                "npi": valid_npi(),
                "phone": "617-555-0177",
                "fax": "",
                "password": "a-long-Pass-2026",
            },
            {"email": [w.provider.user.email], "npi": ["1234567890", "123456789"]},
        ),
        accepted=lambda r: r.status_code == 302,
    ),
    "ReferralFilterForm (provider's list)": Target(
        "provider",
        "get",
        lambda w: reverse("intake:provider_home"),
        lambda w: form_input({"status": "received", "q": "Diaz", "page": "1"}),
        accepted=None,
    ),
    "ApiTokenForm (provider's account)": Target(
        "provider",
        "post",
        lambda w: reverse("intake:provider_account"),
        lambda w: form_input({"name": "EHR"}),
        accepted=lambda r: r.status_code == 200 and bool(r.context.get("new_key")),
    ),
    "CallLogForm (intake call)": Target(
        "coordinator",
        "post",
        lambda w: reverse("intake:log_call", args=[w.provider.case.pk]),
        lambda w: form_input(
            {
                "outcome": "callback",
                "notes": "asked to call later",
                "callback_at": (soon(2, 11)).strftime("%Y-%m-%dT%H:%M"),
                "reason": "",
                "planned_sessions": "3",
            },
            {
                "outcome": ["no_answer", "not_eligible", "declined", "intake_complete", "x"],
                "planned_sessions": ["0", "7", "6"],
                "callback_at": ["2026-03-08T02:30", "1999-01-01T00:00"],
            },
        ),
        accepted=lambda r: r.status_code == 302,
    ),
    "checklist (intake call)": Target(
        "coordinator",
        "post",
        lambda w: reverse("intake:checklist_toggle", args=[w.provider.case.pk]),
        lambda w: form_input({"item": "self_pay", "ticked": "1"}),
        accepted=lambda r: r.status_code == 302 and not flashed(r, messages.ERROR),
    ),
    "SetPasswordForm (invitation)": Target(
        "anonymous",
        "post",
        lambda w: w.invitation_url,
        lambda w: form_input(
            {"password1": "a-long-Pass-2026", "password2": "a-long-Pass-2026"},
            {"password2": ["different-Pass-2026"], "password1": ["12345678", "password"]},
        ),
        accepted=lambda r: r.status_code == 302,
    ),
    # scheduling
    "DayPickerForm (patient's free times)": Target(
        "patient",
        "get",
        lambda w: reverse("scheduling:patient_book"),
        lambda w: st.tuples(
            _day_form(w), st.sampled_from([{}, {"session": "x"}, {"session": "-3"}])
        ).map(lambda parts: {**parts[0], **parts[1]}),
        accepted=None,
    ),
    "StartForm (patient holds a time)": Target(
        "patient",
        "post",
        lambda w: reverse("scheduling:patient_hold"),
        lambda w: _start_form(w, replaces="", plan=""),
        accepted=lambda r: r.status_code == 302 and "/my/book/" not in r["Location"],
    ),
    "StartForm (patient plans a course)": Target(
        "patient",
        "get",
        lambda w: reverse("scheduling:patient_plan"),
        lambda w: _start_form(w),
        accepted=None,
    ),
    "plan (patient books a series)": Target(
        "patient",
        "post",
        lambda w: reverse("scheduling:patient_plan"),
        lambda w: form_input(
            {
                "location": str(w.patient.course.location_id),
                "starts": [soon(d, 10).strftime("%Y-%m-%dT%H:%M") for d in (8, 11)],
            },
            {"starts": ["2026-03-08T02:30", "2026-11-01T01:30"]},
        ),
        accepted=lambda r: r.status_code == 302,
    ),
    "StartForm (coordinator books)": Target(
        "coordinator",
        "post",
        lambda w: reverse("scheduling:coordinator_course", args=[w.patient.course.pk]),
        lambda w: _start_form(w, replaces=""),
        accepted=lambda r: flashed(r, messages.SUCCESS),
    ),
    "StartForm (link in a text)": Target(
        "anonymous",
        "post",
        lambda w: w.reschedule_url,
        lambda w: _start_form(w),
        accepted=lambda r: template_used(r, "scheduling/link_done.html"),
    ),
    # waitlist
    "JoinForm (patient joins the waitlist)": Target(
        "patient",
        "post",
        lambda w: reverse("waitlist:patient_join"),
        lambda w: form_input(
            {
                "weekdays": ["1", "3"],
                "parts_of_day": ["morning", "evening"],
                "earliest_date": soon(3).date().isoformat(),
                "latest_date": soon(40).date().isoformat(),
                "earlier_than": "",
            },
            {"weekdays": [["7"], ["-1"], []], "parts_of_day": [["night"], []]},
        ),
        accepted=lambda r: r.status_code == 302,
    ),
    "JoinForm (coordinator puts a patient on the waitlist)": Target(
        "coordinator",
        "post",
        lambda w: reverse("waitlist:coordinator_join", args=[w.patient.course.pk]),
        lambda w: form_input(
            {
                "weekdays": ["0", "6"],
                "parts_of_day": ["afternoon"],
                "earliest_date": soon(2).date().isoformat(),
                "latest_date": "",
                "earlier_than": "",
            },
            {"weekdays": [["٣"], ["1", "1"]], "earlier_than": ["0", "-5", "9" * 30]},
        ),
        accepted=lambda r: r.status_code == 302,
        unwatched=AUDITED,
    ),
    "OfferByHandForm (coordinator offers a time)": Target(
        "coordinator",
        "post",
        lambda w: reverse("waitlist:coordinator_list"),
        lambda w: form_input(
            {"starts_at": soon(8, 14).strftime("%Y-%m-%dT%H:%M")},
            {"starts_at": ["2020-01-01T09:00", "2027-02-30T09:00"]},
        ),
        accepted=lambda r: r.status_code == 302,
        unwatched=AUDITED,
    ),
    "PlannedCountForm (coordinator)": Target(
        "coordinator",
        "post",
        lambda w: reverse("scheduling:coordinator_course_plan", args=[w.patient.course.pk]),
        lambda w: form_input(
            {"count": "5", "reason": "Clinician advised five"}, {"count": ["0", "7", "1", "6"]}
        ),
        accepted=lambda r: flashed(r, messages.SUCCESS),
    ),
    "CourseCancelForm (coordinator)": Target(
        "coordinator",
        "post",
        lambda w: reverse("scheduling:coordinator_course_cancel", args=[w.patient.course.pk]),
        lambda w: form_input({"reason": "Moved away"}),
        accepted=lambda r: flashed(r, messages.SUCCESS),
    ),
    "ReviewForm (clinician)": Target(
        "clinician",
        "post",
        lambda w: reverse("scheduling:clinician_review", args=[w.review_course_pk]),
        lambda w: form_input(
            {"decision": "approve", "reason": ""}, {"decision": ["decline", "maybe"]}
        ),
        accepted=lambda r: flashed(r, messages.SUCCESS),
    ),
    "CourseSearchForm (coordinator)": Target(
        "coordinator",
        "get",
        lambda w: reverse("scheduling:coordinator_courses"),
        lambda w: form_input({"q": "Amelia"}),
        accepted=None,
        unwatched=AUDITED,
    ),
    "StaffDayForm (day view)": Target(
        "clinician",
        "get",
        lambda w: reverse("scheduling:staff_day"),
        _day_form,
        accepted=None,
        unwatched=AUDITED,
    ),
    "session status (clinician)": Target(
        "clinician",
        "post",
        lambda w: reverse("scheduling:staff_session_status", args=[w.patient.session.pk]),
        lambda w: form_input(
            {"action": "check_in", "next": "/staff/day/"},
            {"action": ["complete", "no_show"], "next": ["//evil.example/", "https://x.y/"]},
        ),
        accepted=lambda r: r.status_code == 302 and not flashed(r, messages.ERROR),
    ),
    "people search (coordinator)": Target(
        "coordinator",
        "get",
        lambda w: reverse("intake:people_search"),
        lambda w: form_input({"q": "Amelia"}, {"q": ["617-555-0142", "1984-05-17", "R-2026-"]}),
        accepted=None,
        unwatched=AUDITED,
    ),
    "ReasonForm (cancel a session, coordinator)": Target(
        "coordinator",
        "post",
        lambda w: reverse("scheduling:session_confirm", args=[w.patient.session.pk, "cancel"]),
        lambda w: form_input({"reason": "The patient called to cancel", "next": "/"}),
        accepted=lambda r: r.status_code == 302 and not flashed(r, messages.ERROR),
    ),
    "audit trail search (admin)": Target(
        "admin",
        "get",
        lambda w: reverse("clinic:audit_trail"),
        lambda w: form_input({"q": "Amelia", "patient": str(w.patient.user.pk)}),
        accepted=None,
    ),
    # billing
    "QuoteForm (live estimate)": Target(
        "coordinator",
        "get",
        lambda w: reverse("billing:estimate_card"),
        lambda w: form_input(
            {"location": str(w.patient.course.location_id), "infusions": "4"},
            {"infusions": ["0", "7", "1"]},
        ),
        accepted=None,
    ),
    "GfeRequestForm (patient asks for a GFE)": Target(
        "patient",
        "post",
        lambda w: reverse("billing:request_gfe"),
        lambda w: form_input({"location": str(w.patient.course.location_id)}),
        accepted=lambda r: flashed(r, messages.SUCCESS),
    ),
}


# --- the clinic and the test ---------------------------------------------------------------------


@pytest.fixture
def world(settings, tmp_path) -> World:
    settings.PRIVATE_STORAGE_ROOT = tmp_path
    world = build_world()
    # A patient still choosing a password, with a live invitation link.
    invitee = UserFactory(role=Role.PATIENT, is_active=False, email="new@mail.example")
    invitation = intake_services.invitation_send(patient=invitee, created_by=None)
    text = Message.objects.filter(topic=f"invitation:{invitation.pk}").first().body
    world.invitation_url = re.search(r"/welcome/[^/\s]+/", text).group(0)
    world.reschedule_url = scheduling_services.session_action_url(
        session=world.patient.session, kind="reschedule"
    )
    # A course held for a clinician's review.
    world.review_course_pk = scheduling_services.course_create(
        patient=UserFactory(role=Role.PATIENT),
        location=world.patient.course.location,
        planned_sessions=2,
        needs_clinician_review=True,
        created_by=world.staff["coordinator"],
    ).pk
    intake_services.case_claim(case=world.provider.case, coordinator=world.staff["coordinator"])
    IntakeCase.objects.filter(pk=world.provider.case.pk).update(checklist=[])
    _, world.api_key = intake_services.api_token_create(
        provider=world.provider.user.provider_profile, name="fuzz"
    )
    return world


def _client_for(world: World, actor: str):
    if actor == "api":
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {world.api_key}")
        return client
    client = Client()
    if actor == "coordinator_password_only":  # has an authenticator, has not typed its code yet
        coordinator = world.staff["coordinator"]
        TOTPDevice.objects.create(user=coordinator, name="phone", confirmed=True)
        REAL_FORCE_LOGIN(client, coordinator)
    elif actor == "coordinator_without_device":  # first sign-in: no authenticator yet
        REAL_FORCE_LOGIN(client, world.staff["coordinator"])
    elif actor != "anonymous":
        client.force_login(world.actor(actor))
    return client


def _shows_an_error(response) -> bool:
    if response.status_code >= 400 or flashed(response, messages.ERROR):
        return True
    if response.status_code == 302:  # sent back to the form or the page
        return True
    form = response.context.get("form") if response.context else None
    if form is not None and not form.is_bound:  # an empty POST shows the form again
        return True
    body = response.content.decode(errors="replace")
    return 'class="errorlist"' in body or 'role="alert"' in body


@pytest.mark.parametrize("name", sorted(TARGETS))
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_any_input_gives_a_clean_answer_and_an_error_writes_nothing(world, name, data):
    target = TARGETS[name]
    client = _client_for(world, target.actor)
    url = target.url(world)
    body = data.draw(target.data(world), label="input")
    kwargs = {"format": "json"} if target.json else {}
    with transaction.atomic():
        before = snapshot(target.unwatched)
        response = getattr(client, target.method)(url, body, **kwargs)
        after = snapshot(target.unwatched)
        transaction.set_rollback(True)  # the next example sees the same clinic
    assert response.status_code < 500
    assert response.status_code in target.statuses, (response.status_code, response.content[:300])
    changed = sorted(t for t in before if before[t] != after[t])
    if target.accepted is None:
        assert not changed, f"a page that only reads wrote to {changed}"
    elif not target.accepted(response):
        assert not changed, f"refused input, yet {changed} changed"
        assert _shows_an_error(response)
