"""Two coordinators submitting the same fax at once make one referral, not two."""

import threading

import pytest
from django.db import connection

from clinic.errors import ApplicationError
from clinic.models import Role
from intake.inbox import services
from intake.models import InboundStatus, Referral
from tests.factories.intake import referral_data
from tests.factories.scheduling import LocationFactory
from tests.factories.users import UserFactory

from .conftest import receive


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_two_coordinators_submitting_one_fax_make_one_referral(letter_pdf):
    location = LocationFactory(slug="boston", name="Boston")
    document, _ = receive(letter_pdf, name="scan.pdf")
    coordinators = [UserFactory(role=Role.COORDINATOR) for _ in range(2)]
    provider_data = {
        "npi": "1245319599",
        "first_name": "Alan",
        "last_name": "Whitfield",
        "practice_name": "Harbor Neurology Associates",
        "phone": "+16175550198",
    }
    barrier = threading.Barrier(2)
    outcomes = []

    def submit(coordinator):
        try:
            barrier.wait()
            services.inbound_document_refer(
                document=document,
                data=referral_data(location),
                provider_data=provider_data,
                by=coordinator,
            )
            outcomes.append("made")
        except ApplicationError as exc:
            outcomes.append(exc.message)
        finally:
            connection.close()

    threads = [threading.Thread(target=submit, args=(c,)) for c in coordinators]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["This document was already dealt with.", "made"]
    assert Referral.objects.count() == 1
    document.refresh_from_db()
    assert document.status == InboundStatus.REFERRED
