import socket
from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from .models import WorkerHeartbeat


@shared_task
def record_heartbeat() -> int:
    return WorkerHeartbeat.objects.create(hostname=socket.gethostname()[:255]).pk


@shared_task
def prune_heartbeats() -> int:
    cutoff = timezone.now() - timedelta(days=1)
    deleted, _ = WorkerHeartbeat.objects.filter(beat_at__lt=cutoff).delete()
    return deleted


# Messaging's tasks live in its package; importing them registers them with the worker.
from clinic.messaging.tasks import dispatch_due_messages  # noqa: E402, F401
