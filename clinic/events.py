"""Domain events: how a change in a lower layer reaches the layers above it without importing them.

A service publishes a typed event (a frozen dataclass, defined beside the services of the layer
that publishes it, e.g. scheduling/events.py). The handlers subscribed to that type run at once,
one after the other, inside the publisher's transaction: what they write commits or rolls back
with the change that caused it, and a handler that raises undoes the whole change.

Who subscribes to what is written in one table, wiring/subscribers.py, above every app. Not Django
signals (STYLE.md rules them out): a reader of the table sees every consequence of an event.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from django.db import transaction


@dataclass(frozen=True)
class Event:
    """Base of every domain event. Subclasses are frozen dataclasses named for what happened
    (SessionBooked, CourseCompleted); they may carry the rows the publisher already holds."""


E = TypeVar("E", bound=Event)
Handler = Callable[[E], None]

_handlers: dict[type[Event], list[Handler]] = {}


def subscribe(event_type: type[E], handler: Handler[E]) -> None:
    """Run `handler(event)` whenever an event of exactly `event_type` is published, after the
    handlers subscribed before it. Subscribing the same handler twice keeps one."""
    handlers = _handlers.setdefault(event_type, [])
    if handler not in handlers:
        handlers.append(handler)


def unsubscribe_all() -> None:
    """Forget every subscription (tests that build their own table)."""
    _handlers.clear()


def handlers_for(event_type: type[Event]) -> tuple[Handler, ...]:
    return tuple(_handlers.get(event_type, ()))


def publish(event: Event) -> None:
    """Run every handler of the event's type, in order, inside the caller's transaction.
    Raises RuntimeError outside a transaction: a consequence must not outlive a rolled-back
    cause."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError(f"publish({type(event).__name__}) outside a transaction")
    for handler in _handlers.get(type(event), ()):
        handler(event)
