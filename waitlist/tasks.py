from celery import shared_task
from django.utils import timezone

from . import services
from .models import FreedSlot, SlotStatus


@shared_task(name="waitlist.tasks.offer_next_round")
def offer_next_round(slot_id: int) -> int:
    """Offer a freed time to its next group when the round has run out. Safe to run twice:
    the slot's row says whether a round is due."""
    return services.slot_offer_next_round(slot_id=slot_id)


@shared_task(name="waitlist.tasks.advance_due_rounds")
def advance_due_rounds() -> int:
    """Beat, every minute: every freed time whose round ran out gets its next round (the
    countdown each round enqueues may have been lost with the broker)."""
    due = FreedSlot.objects.filter(
        status=SlotStatus.OFFERING, round_expires_at__lte=timezone.now()
    ).values_list("pk", flat=True)
    return sum(services.slot_offer_next_round(slot_id=pk) for pk in due[:200])
