import pytest

from clinic.messaging import defaults
from clinic.messaging.models import MessageTemplate, ReminderPlanEntry


@pytest.fixture
def message_defaults(db):
    """The default templates and reminder plan (a data migration installs them, but
    transactional tests flush the tables)."""
    defaults.install(MessageTemplate, ReminderPlanEntry)
