import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from clinic.models import Role
from intake.inbox import services
from intake.inbox.sample import Letter, fax_pdf, fax_tiff
from intake.models import InboundSource
from tests.factories.scheduling import LocationFactory
from tests.factories.users import UserFactory


@pytest.fixture(scope="session")
def letter() -> Letter:
    return Letter()


@pytest.fixture(scope="session")
def letter_tiff(letter) -> bytes:
    return fax_tiff(letter)


@pytest.fixture(scope="session")
def letter_pdf(letter) -> bytes:
    return fax_pdf(letter)


@pytest.fixture
def location(db):
    return LocationFactory(slug="boston", name="Boston")


@pytest.fixture
def coordinator(client, db):
    user = UserFactory(role=Role.COORDINATOR)
    client.force_login(user)
    return user


def receive(content: bytes, name="fax.tif", **kwargs):
    kwargs.setdefault("source", InboundSource.FAX)
    kwargs.setdefault("sending_number", "+16175550199")
    return services.inbound_document_receive(upload=SimpleUploadedFile(name, content), **kwargs)


@pytest.fixture
def read_fax(db, letter_tiff):
    """A faxed letter received and read by the real Tesseract, as the Celery task does."""
    document, _created = receive(letter_tiff, external_id="fax-1")
    return services.inbound_document_read(document_id=document.pk)
