from celery import shared_task

from . import notifications


@shared_task
def send_booking_email(booked_ids: list[int], cancelled_ids: list[int], change: str) -> int:
    """E-mail the patient what changed, with an .ics per session. Safe to run twice (it only
    sends mail; a second copy is harmless)."""
    return notifications.booking_email_send(
        booked_ids=booked_ids, cancelled_ids=cancelled_ids, change=change
    )
