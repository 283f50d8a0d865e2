from celery import shared_task
from django.utils import timezone

from .prompts import diary_prompts_send


@shared_task(name="outcomes.tasks.send_diary_prompts")
def send_diary_prompts() -> int:
    """Plan the evening diary prompts that are due (dedupe keys make a second run send nothing
    twice); the messaging dispatcher sends them."""
    return diary_prompts_send(now=timezone.now())
