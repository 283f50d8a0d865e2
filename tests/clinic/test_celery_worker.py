import time

import pytest
from celery.contrib.testing.worker import start_worker
from django.db import transaction

from clinic.celery import app
from clinic.models import WorkerHeartbeat
from clinic.tasks import record_heartbeat


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_runs_a_task_from_the_real_redis_broker():
    assert app.conf.broker_url.startswith("redis://")
    app.control.purge()
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        with transaction.atomic():
            # Enqueued only when this transaction commits, as every task in the portal is.
            record_heartbeat.delay_on_commit()
            assert WorkerHeartbeat.objects.count() == 0
        deadline = time.monotonic() + 15
        while not WorkerHeartbeat.objects.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
    assert WorkerHeartbeat.objects.count() == 1
