"""Redis stopped while a round of offers starts: the offers are stored and sent as usual, the
countdown to the next round cannot be enqueued and is only logged, and beat's sweep
(advance_due_rounds) still ends the round when it runs out."""

import datetime as dt
import logging

import pytest

from clinic.messaging.models import Message
from scheduling.services import session_book, session_cancel
from tests.clinic.test_redis_down import private_redis  # noqa: F401 (a fixture)
from waitlist.models import FreedSlot
from waitlist.services import slot_offer_next_round
from waitlist.tasks import advance_due_rounds

from .conftest import NOW, at

NOON = at(2027, 3, 1, 12)


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("at_now")
def test_with_the_broker_down_a_round_is_offered_and_the_sweep_ends_it(
    clinic,
    make_course,
    waiting,
    private_redis,  # noqa: F811 (the fixture imported above)
    caplog,
    clock,
):
    first, second, third, fourth = (waiting() for _ in range(4))
    session = session_book(course=make_course(), starts_at=at(2027, 3, 10, 9), by=None, now=NOW)
    session_cancel(session=session, by=None, now=NOW)
    slot = FreedSlot.objects.get(source_session=session)
    private_redis.stop()

    with caplog.at_level(logging.WARNING, logger="clinic.celery"):
        assert slot_offer_next_round(slot_id=slot.pk, now=NOON) == 3
    assert Message.objects.filter(kind="waitlist_offer").count() == 3
    assert any(
        "could not enqueue waitlist.tasks.offer_next_round" in r.getMessage()
        for r in caplog.records
    )

    # The countdown was lost with the broker; beat's every-minute sweep finds the round over.
    clock.travel(NOON + dt.timedelta(hours=2))
    assert advance_due_rounds() == 1
    assert Message.objects.filter(kind="waitlist_offer").count() == 4
