from celery import shared_task

from .services import messages_dispatch_due


@shared_task(name="clinic.messaging.tasks.dispatch_due_messages")
def dispatch_due_messages() -> int:
    """Send what is due. Beat runs it every minute; scheduling a due message enqueues it too.
    Safe to run twice or concurrently: messages are claimed under row locks."""
    return messages_dispatch_due()
