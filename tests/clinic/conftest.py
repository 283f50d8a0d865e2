import pytest

from clinic.messaging import defaults
from clinic.messaging.models import MessageTemplate, ReminderPlanEntry


@pytest.fixture
def message_defaults(db):
    """The default templates and reminder plan (a data migration installs them, but
    transactional tests flush the tables)."""
    defaults.install(MessageTemplate, ReminderPlanEntry)


TWILIO_SID = "AC" + "0" * 32
TWILIO_TOKEN = "test-auth-token"


@pytest.fixture
def twilio_stub(settings, message_defaults):
    """The Twilio gateway pointed at a local stand-in for Twilio's REST API
    (tests/support/gateways.py), with its settings."""
    from tests.support.gateways import TwilioStub

    stub = TwilioStub(account_sid=TWILIO_SID)
    settings.MESSAGING_GATEWAY = "clinic.messaging.gateways.TwilioGateway"
    settings.TWILIO_ACCOUNT_SID = TWILIO_SID
    settings.TWILIO_AUTH_TOKEN = TWILIO_TOKEN
    settings.TWILIO_FROM_NUMBER = "+16175550100"
    settings.TWILIO_API_BASE_URL = stub.url
    settings.SITE_URL = "https://portal.clinic.example"
    yield stub
    stub.close()
