import datetime as dt
import os

import pytest
import time_machine
from django.conf import settings as django_settings
from django.test import Client
from django.utils import timezone, translation
from hypothesis import HealthCheck, settings

from billing.tasks import issue_course_estimate
from clinic.celery import app
from clinic.models import STAFF_ROLES, Role
from tests import clock as test_clock
from tests.factories.users import PASSWORD, UserFactory

# Property-based tests (tests/security/test_fuzz_forms.py): a modest number of examples each, no
# per-example deadline (a request takes what it takes on a shared CI machine). CI (CI=true)
# runs the same examples every time and keeps no example database; `HYPOTHESIS_PROFILE=deep`
# digs ten times further by hand.
_common = {
    "deadline": None,
    "suppress_health_check": [HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
}
settings.register_profile("dev", max_examples=20, **_common)
settings.register_profile("ci", max_examples=20, derandomize=True, database=None, **_common)
settings.register_profile("deep", max_examples=400, **_common)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))


def pytest_configure(config):
    """Under pytest-xdist (`./portal test` runs two workers) each worker has its own test
    database (pytest-django names it test_<name>_gw0, _gw1...) and, from here, its own Redis
    database: TEST_REDIS_URL's number for gw0, the next one for gw1, so that one worker's purge
    never empties the other's queue. The environment carries it to the Celery workers a test
    starts as processes (tests/support/workers.py), and to anything else they start."""
    worker = getattr(config, "workerinput", {}).get("workerid")
    if not worker:
        return
    base, number = django_settings.REDIS_URL.rsplit("/", 1)
    url = f"{base}/{int(number) + int(worker.removeprefix('gw'))}"
    django_settings.REDIS_URL = django_settings.CELERY_BROKER_URL = url
    app.conf.broker_url = url
    os.environ["TEST_REDIS_URL"] = url


@pytest.fixture
def make_user(db):
    def make(role: Role = Role.PATIENT, **kwargs):
        user = UserFactory(role=role, **kwargs)
        if role == Role.PROVIDER:
            from tests.factories.intake import ProviderFactory

            ProviderFactory(user=user)
        return user

    return make


@pytest.fixture
def password():
    return PASSWORD


@pytest.fixture
def users_by_role(make_user):
    return {role: make_user(role=role) for role in Role}


# Staff must pass two-factor sign-in before any page (clinic.middleware.StaffTwoFactorMiddleware).
# Tests that sign staff in with force_login get a confirmed authenticator device and a session
# that has passed it, as a real sign-in would; the rule itself is untouched. Tests of the rule
# sign in with REAL_FORCE_LOGIN.
REAL_FORCE_LOGIN = Client.force_login


def force_login_with_otp(client: Client, user, backend=None) -> None:
    REAL_FORCE_LOGIN(client, user, backend)
    if user.role in STAFF_ROLES:
        from django_otp import DEVICE_ID_SESSION_KEY
        from django_otp.plugins.otp_totp.models import TOTPDevice

        device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
        device = device or TOTPDevice.objects.create(user=user, name="test", confirmed=True)
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()


@pytest.fixture(autouse=True, scope="session")
def _jinja2_templates_tell_the_test_client():
    """The test client learns which templates a response used, and their context
    (response.templates, response.context), from the template_rendered signal, which only
    Django's template language sends. Pages render with Jinja2 (clinic/jinja2.py), so its
    back-end sends the signal too while tests run."""
    from django.template.backends import jinja2 as jinja2_backend
    from django.test.signals import template_rendered

    original = jinja2_backend.Template.render

    def render(self, context=None, request=None):
        template_rendered.send(sender=self, template=self.template, context=dict(context or {}))
        return original(self, context, request)

    jinja2_backend.Template.render = render
    yield
    jinja2_backend.Template.render = original


@pytest.fixture(autouse=True)
def _staff_pass_two_factor(monkeypatch):
    monkeypatch.setattr(Client, "force_login", force_login_with_otp)


class Clock:
    """The test's clock (tests/clock.py): where "now" is, and how a test moves it."""

    def __init__(self, traveller):
        self._traveller = traveller

    def now(self) -> dt.datetime:
        return timezone.now()

    def today(self, tz=test_clock.NY) -> dt.date:
        return self.now().astimezone(tz).date()

    def travel(self, instant: dt.datetime) -> None:
        self._traveller.move_to(instant)

    def shift(self, delta: dt.timedelta) -> None:
        self._traveller.shift(delta)


def pytest_generate_tests(metafunc):
    if metafunc.definition.get_closest_marker("clock_sweep"):
        names = list(test_clock.SWEEP)
        metafunc.parametrize("clock_start", names, ids=[f"at-{n}" for n in names], indirect=True)


@pytest.fixture
def clock_start(request) -> dt.datetime:
    """The instant a test's clock starts at: DEFAULT, or each SWEEP instant for clock_sweep.
    TEST_CLOCK=<a SWEEP name> starts every other test there too (e.g. TEST_CLOCK=ny-23:30)."""
    name = getattr(request, "param", None) or os.environ.get("TEST_CLOCK")
    return test_clock.SWEEP[name] if name else test_clock.DEFAULT


@pytest.fixture(autouse=True)
def _english_between_tests():
    """A request in Spanish leaves Spanish active in the thread (LocaleMiddleware activates, and
    nothing deactivates): each test starts in the default language, as a new request would."""
    translation.activate("en")
    yield
    translation.activate("en")


@pytest.fixture(autouse=True)
def clock(clock_start):
    """Every test runs on the test's clock, never the wall clock; it ticks from its start."""
    with time_machine.travel(clock_start, tick=True) as traveller:
        yield Clock(traveller)


@pytest.fixture
def estimates_after_commit(django_capture_on_commit_callbacks, monkeypatch):
    """`with estimates_after_commit():` around course changes issues their Good Faith Estimates
    when the block ends, as a worker does just after their commit: the block's on-commit
    callbacks run (django_capture_on_commit_callbacks) and billing.tasks.issue_course_estimate,
    which they enqueue, runs in process instead of going to Redis. Other tasks go as usual."""

    def run_now(args=(), kwargs=None, **options):
        issue_course_estimate(*args, **(kwargs or {}))

    monkeypatch.setattr(issue_course_estimate, "apply_async", run_now)
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def fax_stub(settings):
    """Outbound faxes through the real HTTP adapter, pointed at a local stand-in for a fax
    service's REST API (tests/support/gateways.py)."""
    from tests.support.gateways import FaxStub

    stub = FaxStub()
    settings.MESSAGING_FAX_GATEWAY = "clinic.messaging.fax.HttpFaxGateway"
    settings.FAX_API_BASE_URL = stub.url
    settings.FAX_API_KEY = "fax-key"
    settings.FAX_API_SECRET = "fax-secret"
    yield stub
    stub.close()
