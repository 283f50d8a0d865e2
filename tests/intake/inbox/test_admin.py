"""Faxed and scanned documents in the settings area: a clinic admin finds them under Records, to
look up, never to change (the Inbox page keeps the rules), and opening one is audited."""

import io

import pytest
from django.urls import reverse
from PIL import Image

from clinic.audit.models import AuditEvent
from clinic.models import Role
from intake.models import InboundDocument
from tests.factories.users import UserFactory

from .conftest import receive

pytestmark = pytest.mark.django_db


def blank_tiff() -> bytes:
    out = io.BytesIO()
    Image.new("L", (200, 260), 255).save(out, "TIFF")
    return out.getvalue()


@pytest.fixture
def clinic_admin(client):
    admin = UserFactory(role=Role.ADMIN, is_staff=True)
    client.force_login(admin)
    return admin


def test_a_clinic_admin_looks_documents_up_under_records_and_cannot_change_them(
    client, clinic_admin
):
    document, _ = receive(blank_tiff(), external_id="fax-77", sending_number="+16175550199")
    document.text = "Patient: Maria Gonzalez"
    document.save(update_fields=["text"])
    index = client.get(reverse("admin:index")).content.decode()
    assert "Faxed and scanned documents" in index
    listing = client.get(reverse("admin:intake_inbounddocument_changelist"))
    assert listing.status_code == 200
    assert "+16175550199" in listing.content.decode()
    page = client.get(reverse("admin:intake_inbounddocument_change", args=[document.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Maria Gonzalez" in html  # what was read, shown read-only
    assert 'name="_save"' not in html and 'name="status"' not in html
    # Seeing what was read from the letter is a view of the patient's record: audited.
    event = AuditEvent.objects.get(actor=clinic_admin)
    assert (event.object_type, event.object_id) == ("inbound_document", str(document.pk))
    # Nothing can be added, changed or deleted here.
    assert client.get(reverse("admin:intake_inbounddocument_add")).status_code == 403
    change = reverse("admin:intake_inbounddocument_change", args=[document.pk])
    client.post(change, {"status": "not_referral", "close_reason": "x"})
    delete = reverse("admin:intake_inbounddocument_delete", args=[document.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    document.refresh_from_db()
    assert document.status == "queued" and document.close_reason == ""
    assert InboundDocument.objects.count() == 1


def test_other_staff_cannot_open_the_documents_in_the_settings_area(client):
    document, _ = receive(blank_tiff())
    client.force_login(UserFactory(role=Role.COORDINATOR))
    url = reverse("admin:intake_inbounddocument_change", args=[document.pk])
    assert client.get(url).status_code in (302, 403)
