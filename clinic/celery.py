import logging
import os

from celery import Celery
from celery.contrib.django.task import DjangoTask
from django.db import transaction

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clinic.settings.development")

logger = logging.getLogger("clinic.celery")


class PortalTask(DjangoTask):
    """Every task of the portal. Enqueueing after commit never breaks the request that
    committed: with Redis down the change is already saved, so the error is logged (the task's
    name only, never its arguments) and the page answers as usual. Nothing is lost that
    matters: what must be sent is a Message row in PostgreSQL, and beat's dispatcher picks up
    due rows every minute once Redis is back."""

    def delay_on_commit(self, *args, **kwargs) -> None:
        transaction.on_commit(lambda: self.enqueue_or_log(args, kwargs))

    def enqueue_or_log(self, args: tuple = (), kwargs: dict | None = None, **options) -> bool:
        try:
            self.apply_async(args, kwargs, **options)
        except Exception as exc:  # the broker's errors vary by transport (kombu, redis-py, OS)
            logger.warning("could not enqueue %s: %s", self.name, type(exc).__name__)
            return False
        return True


app = Celery("clinic", task_cls=PortalTask)
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
