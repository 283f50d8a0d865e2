"""The in-process domain-event dispatcher (clinic/events.py): handlers run in order, inside the
publisher's transaction, and nothing runs outside one."""

from dataclasses import FrozenInstanceError, dataclass

import pytest
from django.db import transaction

from clinic import events
from clinic.events import Event, publish, subscribe


@dataclass(frozen=True)
class Pinged(Event):
    n: int


@dataclass(frozen=True)
class Other(Event):
    pass


@pytest.fixture
def table():
    """A table of our own for the test; the portal's is put back afterwards."""
    saved = {k: list(v) for k, v in events._handlers.items()}
    events.unsubscribe_all()
    yield
    events.unsubscribe_all()
    events._handlers.update(saved)


@pytest.mark.django_db
def test_handlers_run_in_the_order_they_subscribed_once_each(table):
    seen = []

    def first(event):
        seen.append(("first", event.n))

    def second(event):
        seen.append(("second", event.n))

    subscribe(Pinged, first)
    subscribe(Pinged, second)
    subscribe(Pinged, first)  # twice is once
    subscribe(Other, lambda event: seen.append("other"))
    with transaction.atomic():
        publish(Pinged(n=1))
    assert seen == [("first", 1), ("second", 1)]


@pytest.mark.django_db
def test_a_handler_that_raises_undoes_the_change_that_published(table):
    from tests.factories.users import UserFactory

    def refuse(event):
        raise RuntimeError("no")

    subscribe(Pinged, refuse)
    user = UserFactory(first_name="Before")
    with pytest.raises(RuntimeError), transaction.atomic():
        type(user).objects.filter(pk=user.pk).update(first_name="After")
        publish(Pinged(n=2))
    user.refresh_from_db()
    assert user.first_name == "Before"


@pytest.mark.django_db(transaction=True)
def test_publishing_outside_a_transaction_is_refused(table):
    with pytest.raises(RuntimeError, match="outside a transaction"):
        publish(Pinged(n=3))


def test_events_are_frozen():
    with pytest.raises(FrozenInstanceError):
        Pinged(n=1).n = 2
