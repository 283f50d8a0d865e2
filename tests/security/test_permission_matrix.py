"""Every URL the resolver knows, asked by every kind of visitor, on their own objects and on
someone else's. The expected answer of each is declared once, in MATRIX; a URL that is not
declared fails, so a new page cannot be forgotten."""

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.db import transaction
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.security.world import World, build_world

pytestmark = pytest.mark.django_db

ACTORS = (
    "anonymous",
    "patient",  # owns the objects in the URL (course, session, hold, estimate)
    "other_patient",  # another patient, with objects of their own
    "provider",  # referred the patient in the URL (referral, case, attachment, API key)
    "other_provider",
    "coordinator",
    "clinician",
    "admin",
)
STAFF = ("coordinator", "clinician", "admin")
OK = "ok"  # 2xx, or a redirect somewhere other than sign-in
LOGIN = "login"  # 302 to the sign-in page


def allow(*roles: str, others: str | int = 404, anonymous: str | int = LOGIN, **override):
    """Only `roles` may; everyone else is refused with 403. The other patient/provider get
    `others` where their role is allowed but the object is not theirs (404: the same answer as
    for an object that does not exist)."""
    expected = {"anonymous": anonymous}
    for actor in ACTORS[1:]:
        role = actor.removeprefix("other_")
        if role not in roles:
            expected[actor] = 403
        elif actor.startswith("other_"):
            expected[actor] = others
        else:
            expected[actor] = OK
    expected.update(override)
    return expected


def everyone(answer: str | int = OK, **override):
    return dict.fromkeys(ACTORS, answer) | override


@dataclass(frozen=True)
class Check:
    expected: dict
    kwargs: Callable[[World], dict] = lambda w: {}
    method: str = "get"
    data: dict | None = None
    query: str = ""


P = lambda w: w.patient  # noqa: E731
V = lambda w: w.provider  # noqa: E731


def _inbound(world: World):
    """A faxed page, received and read (one blank page: Tesseract reads it in a moment)."""
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    from intake.inbox import services as inbox_services

    out = io.BytesIO()
    Image.new("1", (850, 1100), 1).save(out, "TIFF", compression="group4")
    document, _ = inbox_services.inbound_document_receive(
        upload=SimpleUploadedFile("fax.tif", out.getvalue()), source="fax"
    )
    return inbox_services.inbound_document_read(document_id=document.pk)


MATRIX: dict[str, Check] = {
    # --- clinic: sign-in and the like --------------------------------------------------------
    "home": Check(everyone(OK, anonymous=LOGIN)),
    "healthz": Check(everyone(OK)),
    "login": Check(everyone(OK)),
    "logout": Check(everyone(LOGIN), method="post"),  # signed out, back to sign-in
    "password_reset": Check(everyone(OK)),
    "password_reset_done": Check(everyone(OK)),
    "password_reset_confirm": Check(everyone(OK), lambda w: {"uidb64": "MQ", "token": "x-y"}),
    "password_reset_complete": Check(everyone(OK)),
    # Staff only; a staff session that has already passed two-factor is sent on.
    "two_factor_setup": Check(allow(*STAFF)),
    "two_factor_verify": Check(allow(*STAFF)),
    "clinic:admin_home": Check(allow("admin")),
    "clinic:audit_trail": Check(allow("admin"), query="?patient={patient}"),
    # Aggregates only (no patient); clinicians are refused: it reports revenue, not their day.
    "clinic:operations": Check(allow("coordinator", "admin")),
    "clinic:audit_trail_csv": Check(allow("admin"), query="?patient={patient}"),
    # --- intake: providers and referrals -----------------------------------------------------
    "intake:provider_signup": Check(everyone(OK)),  # signed-in visitors are sent home
    "intake:provider_home": Check(allow("provider", others=OK)),
    "intake:provider_account": Check(allow("provider", others=OK)),
    "intake:api_token_revoke": Check(
        allow("provider"), lambda w: {"pk": V(w).token.pk}, method="post"
    ),
    "intake:referral_create": Check(allow("provider", others=OK)),
    "intake:referral_submitted": Check(
        allow("provider"), lambda w: {"reference": V(w).referral.reference}
    ),
    "intake:referral_detail": Check(
        allow("provider", *STAFF), lambda w: {"reference": V(w).referral.reference}
    ),
    "intake:attachment_download": Check(
        allow("provider", *STAFF), lambda w: {"pk": V(w).attachment.pk}
    ),
    # The world's course is not complete: no report yet, for anyone allowed to ask.
    "intake:referral_outcome_pdf": Check(
        allow("provider", *STAFF) | dict.fromkeys(("provider", *STAFF), 404),
        lambda w: {"reference": V(w).referral.reference},
    ),
    # --- outcomes: the diary (issue 22) ------------------------------------------------------
    # Signed links: a forged or old token is refused the same way for everyone.
    "outcomes:diary_link": Check(everyone(410), lambda w: {"token": "x:y:z"}),
    "outcomes:questionnaire_link": Check(everyone(410), lambda w: {"token": "x:y:z"}),
    # The patient's own page (no object in the URL: each patient sees their own).
    "outcomes:mine": Check(allow("patient", others=OK)),
    # No questionnaire is open for the world's patients (their course has no outcome plan).
    "outcomes:my_questionnaire": Check(
        allow("patient", patient=404),
        lambda w: {"time_point": "baseline"},
    ),
    "outcomes:silent": Check(allow(*STAFF)),
    # --- intake: the patient chart and the people search (clinic staff) ----------------------
    "intake:people_search": Check(allow(*STAFF), query="?q=lopez"),
    "intake:patient_chart": Check(allow(*STAFF), lambda w: {"pk": w.patient.user.pk}),
    "intake:invitation_resend": Check(
        allow("coordinator", "admin"), lambda w: {"pk": w.patient.user.pk}, method="post"
    ),
    "intake:referral_chart": Check(allow(*STAFF), lambda w: {"reference": V(w).referral.reference}),
    # --- intake: the call queue (coordinators work on every case) ----------------------------
    "intake:queue": Check(allow("coordinator")),
    "intake:next_call": Check(allow("coordinator"), method="post"),
    "intake:dashboard": Check(allow("coordinator", "admin")),
    "intake:call_screen": Check(allow("coordinator"), lambda w: {"pk": V(w).case.pk}),
    "intake:take_call": Check(allow("coordinator"), lambda w: {"pk": V(w).case.pk}, method="post"),
    "intake:release_call": Check(
        allow("coordinator"), lambda w: {"pk": V(w).case.pk}, method="post"
    ),
    "intake:checklist_toggle": Check(
        allow("coordinator"), lambda w: {"pk": V(w).case.pk}, method="post"
    ),
    # An empty form reaches the view and is refused as a bad request.
    "intake:log_call": Check(
        allow("coordinator", coordinator=400), lambda w: {"pk": V(w).case.pk}, method="post"
    ),
    # The signed token is the credential: the same answer whoever asks (410 for a bad one).
    "intake:invitation": Check(everyone(410), lambda w: {"token": "not-a-real-token"}),
    # --- intake: the EHR API (bearer keys only; a browser session is not a credential) -------
    "intake:api_referral_create": Check(everyone(401), method="post", data={}),
    "intake:api_referral_detail": Check(
        everyone(401), lambda w: {"reference": V(w).referral.reference}
    ),
    # --- intake: the document inbox (coordinators) and the fax service's signed webhook ------
    "intake:inbox": Check(allow("coordinator")),
    "intake:inbox_document": Check(allow("coordinator"), lambda w: {"pk": _inbound(w).pk}),
    "intake:inbox_file": Check(allow("coordinator"), lambda w: {"pk": _inbound(w).pk}),
    "intake:inbox_page_image": Check(
        allow("coordinator"), lambda w: {"pk": _inbound(w).pk, "number": 1}
    ),
    # An empty form reaches the view and is refused as a bad request.
    "intake:inbox_attach": Check(
        allow("coordinator", coordinator=400), lambda w: {"pk": _inbound(w).pk}, method="post"
    ),
    "intake:inbox_dismiss": Check(
        allow("coordinator", coordinator=400), lambda w: {"pk": _inbound(w).pk}, method="post"
    ),
    # The signature is the credential: unsigned, the same answer whoever asks.
    "intake:inbox_fax_webhook": Check(everyone(401), method="post", data={}),
    # --- intake: FHIR R4 (bearer keys only, like the JSON API) -------------------------------
    "intake:fhir_service_request_create": Check(everyone(401), method="post", data={}),
    "intake:fhir_task": Check(everyone(401), lambda w: {"reference": V(w).referral.reference}),
    "intake:fhir_task_history": Check(
        everyone(401), lambda w: {"reference": V(w).referral.reference}
    ),
    # The outcome report: bearer keys only (the key's own referrals: tests/intake/fhir/).
    "intake:fhir_document_reference": Check(
        everyone(401), lambda w: {"reference": V(w).referral.reference}
    ),
    "intake:fhir_outcome_binary": Check(
        everyone(401), lambda w: {"reference": V(w).referral.reference}
    ),
    # Any other address under /fhir/: an OperationOutcome saying there is no such resource.
    "intake:fhir_not_supported": Check(everyone(404), lambda w: {"rest": "Patient/1"}),
    # --- scheduling: patients ----------------------------------------------------------------
    "scheduling:patient_home": Check(allow("patient", others=OK)),
    "scheduling:patient_book": Check(allow("patient", others=OK)),
    "scheduling:patient_hold": Check(allow("patient", others=OK), method="post"),
    "scheduling:patient_hold_confirm": Check(allow("patient"), lambda w: {"pk": P(w).hold.pk}),
    "scheduling:patient_plan": Check(allow("patient", others=OK)),
    # Lists only the asking patient's own sessions, whatever ids are asked for.
    "scheduling:patient_booked": Check(allow("patient", others=OK), query="?s={session}"),
    "scheduling:patient_cancel": Check(allow("patient"), lambda w: {"pk": P(w).session.pk}),
    "scheduling:patient_reschedule": Check(allow("patient"), lambda w: {"pk": P(w).session.pk}),
    "scheduling:patient_ics": Check(allow("patient"), lambda w: {"pk": P(w).session.pk}),
    "scheduling:action_link": Check(everyone(OK), lambda w: {"token": P(w).action_token}),
    # --- scheduling: staff (clinic staff work on every patient) ------------------------------
    "scheduling:clinician_home": Check(allow("clinician")),
    "scheduling:clinician_review": Check(
        allow("clinician"), lambda w: {"pk": P(w).course.pk}, method="post"
    ),
    "scheduling:staff_day": Check(allow(*STAFF)),
    "scheduling:session_confirm": Check(
        allow("coordinator", "admin"),
        lambda w: {"pk": w.patient.session.pk, "kind": "cancel"},
    ),
    "scheduling:staff_session_status": Check(
        allow("clinician"),
        lambda w: {"pk": P(w).session.pk},
        method="post",
        data={"action": "check_in"},
    ),
    "scheduling:coordinator_courses": Check(allow("coordinator", "admin")),
    "scheduling:coordinator_course": Check(
        allow("coordinator", "admin"), lambda w: {"pk": P(w).course.pk}
    ),
    "scheduling:coordinator_course_plan": Check(
        allow("coordinator", "admin"),
        lambda w: {"pk": P(w).course.pk},
        method="post",
        data={"count": "5", "reason": "Clinician advised five"},
    ),
    "scheduling:coordinator_course_cancel": Check(
        allow("coordinator", "admin"),
        lambda w: {"pk": P(w).course.pk},
        method="post",
        data={"reason": "Moved away"},
    ),
    "scheduling:coordinator_session_change": Check(
        allow("coordinator", "admin"),
        lambda w: {"pk": P(w).session.pk},
        method="post",
        data={"action": "cancel"},
    ),
    # --- billing -----------------------------------------------------------------------------
    "billing:my_estimate": Check(allow("patient", others=OK)),
    "billing:request_gfe": Check(allow("patient", others=OK), method="post"),
    "billing:coordinator_list": Check(allow("coordinator", "admin")),
    "billing:estimate_card": Check(allow("coordinator")),
    "billing:issue_for_patient": Check(
        allow("coordinator"), lambda w: {"patient_id": P(w).user.pk}, method="post"
    ),
    "billing:gfe": Check(
        allow("patient", "coordinator", "admin"), lambda w: {"pk": P(w).estimate.pk}
    ),
    "billing:gfe_pdf": Check(
        allow("patient", "coordinator", "admin"), lambda w: {"pk": P(w).estimate.pk}
    ),
    "billing:acknowledge": Check(
        allow("patient"), lambda w: {"pk": P(w).estimate.pk}, method="post"
    ),
    "billing:request_paper": Check(
        allow("patient"), lambda w: {"pk": P(w).estimate.pk}, method="post"
    ),
    "billing:paper_printed": Check(
        allow("coordinator", "admin"), lambda w: {"pk": _paper_request(w)}, method="post"
    ),
    "billing:gfe_rights": Check(everyone(OK)),
    # Payments (the world has no Stripe keys: the pages say so; tests/billing covers the rest).
    "billing:my_payments": Check(allow("patient", others=OK)),
    "billing:accept_policy": Check(allow("patient", others=OK), method="post"),
    "billing:card_saved": Check(allow("patient", others=OK), method="post"),
    "billing:receipt": Check(
        allow("patient", "coordinator", "admin"), lambda w: {"pk": _payment(w)}
    ),
    "billing:superbill": Check(
        allow("patient", "coordinator", "admin"), lambda w: {"pk": P(w).course.pk}
    ),
    # A refund with nothing filled in goes back to the chart with the form's errors.
    "billing:refund": Check(allow("admin"), lambda w: {"pk": _payment(w)}, method="post"),
    # Resolving a failed charge: a paid one is refused with a message, back on the chart.
    "billing:payment_retry": Check(allow("admin"), lambda w: {"pk": _payment(w)}, method="post"),
    "billing:payment_write_off": Check(
        allow("admin"), lambda w: {"pk": _payment(w)}, method="post"
    ),
    "billing:failed_charges": Check(allow("admin")),
    # Stripe's webhook: 404 while payments are not configured, 400 unless signed by Stripe.
    "billing:stripe_webhook": Check(everyone(404), method="post"),
    # --- waitlist ----------------------------------------------------------------------------
    "waitlist:patient_join": Check(allow("patient", others=OK)),
    "waitlist:offer": Check(everyone(410), lambda w: {"token": "not-a-real-token"}),
    "waitlist:coordinator_list": Check(allow("coordinator", "admin")),
    "waitlist:coordinator_join": Check(
        allow("coordinator", "admin"), lambda w: {"pk": P(w).course.pk}
    ),
    # --- messaging ---------------------------------------------------------------------------
    "messaging:outbox": Check(allow("coordinator", "admin")),
    "messaging:preferences": Check(allow("patient", others=OK)),
    "messaging:replies": Check(allow("coordinator", "admin")),
    "messaging:consent_withdraw": Check(
        allow("coordinator", "admin"), lambda w: {"patient_id": P(w).user.pk}
    ),
    # Twilio's webhooks answer only requests signed with the auth token: 403 to everyone else.
    "messaging:twilio_inbound_sms": Check(everyone(403), method="post"),
    "messaging:twilio_status": Check(everyone(403), method="post"),
    "messaging:twilio_voice_keypress": Check(
        everyone(403), lambda w: {"message_id": w.message.pk if w.message else 1}, method="post"
    ),
}


def _paper_request(w) -> int:
    from billing.services import gfe_request_paper

    estimate = P(w).estimate
    return gfe_request_paper(estimate=estimate, patient=estimate.patient).pk


def _payment(w) -> int:
    from billing.payments.models import Payment, PaymentKind, PaymentStatus

    course = P(w).course
    payment, _ = Payment.objects.get_or_create(
        idempotency_key=f"deposit:course:{course.pk}",
        defaults={
            "patient_id": course.patient_id,
            "course": course,
            "kind": PaymentKind.DEPOSIT,
            "amount_cents": 25000,
            "status": PaymentStatus.SUCCEEDED,
            "description": "Clinic deposit",
        },
    )
    return payment.pk


# Not in the matrix, declared here with the reason; test_declared_exceptions checks them.
PUBLIC_PREFIXES = {
    "api/schema/": "the OpenAPI schema of the referral API: public by design",
    "api/docs/": "the API's documentation page: public by design",
    "i18n/": "Django's set_language: changes only the visitor's own language cookie",
    "static/": "static files (development only; whitenoise in production)",
}
ADMIN_PREFIX = "admin/"  # Django's admin: its own sign-in, clinic admins only


def discovered() -> dict[str, str]:
    """{url name: route} for every pattern the resolver knows, less the declared exceptions."""
    found: dict[str, str] = {}

    def walk(patterns, prefix: str, namespace: str) -> None:
        for p in patterns:
            route = prefix + str(p.pattern)
            if route.startswith(ADMIN_PREFIX) or route.startswith(tuple(PUBLIC_PREFIXES)):
                continue
            if isinstance(p, URLResolver):
                ns = f"{namespace}{p.namespace}:" if p.namespace else namespace
                walk(p.url_patterns, route, ns)
            elif isinstance(p, URLPattern):
                assert p.name, f"URL {route!r} has no name: name it and add it to MATRIX"
                found[namespace + p.name] = route

    walk(get_resolver().url_patterns, "", "")
    return found


def test_every_url_is_declared_and_every_declaration_exists():
    found = discovered()
    missing = sorted(set(found) - set(MATRIX))
    stale = sorted(set(MATRIX) - set(found))
    assert not missing, f"URLs missing from MATRIX (declare who may open them): {missing}"
    assert not stale, f"MATRIX names URLs that no longer exist: {stale}"


def _answer(response) -> str | int:
    if response.status_code == 302 and response["Location"].startswith(reverse("login")):
        return LOGIN
    if response.status_code < 400:
        return OK
    return response.status_code


@pytest.fixture
def world(settings, tmp_path) -> World:
    settings.PRIVATE_STORAGE_ROOT = tmp_path
    return build_world()


@pytest.mark.parametrize("name", sorted(MATRIX))
def test_permission_matrix(client, world, name):
    check = MATRIX[name]
    assert set(check.expected) == set(ACTORS), f"{name}: declare every actor"
    url = reverse(name, kwargs=check.kwargs(world))
    url += check.query.format(session=world.patient.session.pk, patient=world.patient.user.pk)
    wrong = {}
    for actor in ACTORS:
        client.logout()
        user = world.actor(actor)
        if user is not None:
            client.force_login(user)
        # Each visit is undone afterwards, so a POST by one actor cannot change the next answer.
        with transaction.atomic():
            response = getattr(client, check.method)(url, check.data or {})
            transaction.set_rollback(True)
        if _answer(response) != check.expected[actor]:
            wrong[actor] = f"expected {check.expected[actor]}, got {_answer(response)}"
        # What a signed-in visitor is shown may hold health information: never cached.
        elif (
            user is not None
            and response.status_code == 200
            and "no-store" not in response.get("Cache-Control", "")
        ):
            wrong[actor] = f"no Cache-Control: no-store ({response.get('Cache-Control')})"
    assert not wrong, f"{name} ({url}): {wrong}"


def test_declared_exceptions(client, world):
    """The public exceptions answer anyone; the Django admin lets in clinic admins only."""
    assert client.get(reverse("api_schema")).status_code == 200
    assert client.get(reverse("api_docs")).status_code == 200
    index = reverse("admin:index")
    for actor in ACTORS:
        client.logout()
        user = world.actor(actor)
        if user is not None:
            client.force_login(user)
        response = client.get(index)
        if actor == "admin":
            assert response.status_code == 200, actor
        else:
            assert response.status_code == 302, actor
            assert response["Location"].startswith(reverse("admin:login")), actor
