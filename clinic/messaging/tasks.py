import time

from celery import shared_task
from django.utils import timezone

from . import services
from .models import Message
from .services import dispatch


@shared_task(name="clinic.messaging.tasks.dispatch_due_messages")
def dispatch_due_messages() -> int:
    """Send what is due. Beat runs it every minute; scheduling a due message enqueues it too.
    Safe to run twice or concurrently: messages are claimed under row locks. A run that stops
    at its time limit with messages still due enqueues the next run at once, rather than
    leaving them for beat's next minute."""
    started = time.monotonic()
    sent = services.messages_dispatch_due()
    used_its_time = time.monotonic() - started >= dispatch.DISPATCH_RUN_SECONDS
    if used_its_time and Message.objects.due(timezone.now()).exists():
        dispatch_due_messages.delay_on_commit()
    return sent
