from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string

from .models import Referral


@shared_task
def send_referral_received_email(referral_id: int) -> None:
    """Tells the referring provider their referral arrived. The e-mail carries the reference and
    nothing clinical (e-mail is not a secure channel)."""
    referral = Referral.objects.select_related("provider__user").get(pk=referral_id)
    user = referral.provider.user
    if not user.email:
        return
    context = {"referral": referral, "provider": user, "clinic_name": settings.CLINIC_NAME}
    send_mail(
        subject=f"Referral {referral.reference} received",
        message=render_to_string("intake/email/referral_received.txt", context),
        from_email=None,
        recipient_list=[user.email],
    )


@shared_task
def send_referral_status_email(referral_id: int) -> None:
    """Tells the referring provider that a referral's intake ended (unreachable, declined, not
    eligible or intake complete). Status only: the details are behind the portal's sign-in."""
    referral = Referral.objects.select_related("provider__user").get(pk=referral_id)
    user = referral.provider.user
    if not user.email:
        return
    context = {"referral": referral, "provider": user, "clinic_name": settings.CLINIC_NAME}
    send_mail(
        subject=f"Referral {referral.reference}: {referral.get_status_display()}",
        message=render_to_string("intake/email/referral_status.txt", context),
        from_email=None,
        recipient_list=[user.email],
    )
