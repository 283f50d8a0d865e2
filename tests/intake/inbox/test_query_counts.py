"""Query counts of the inbox pages, pinned: the same with 1 and with 30 of what they list
(documents waiting; a document's pages and the referrals split from it)."""

import io

import pytest
from django.urls import reverse
from PIL import Image

from intake.inbox import services
from intake.models import InboundDocument, ReferringProvider
from tests.factories.intake import ProviderFactory, referral_data

from .conftest import receive

pytestmark = pytest.mark.django_db

SIZES = [1, 30]
INBOX = 3  # session, user with their device; the documents with their providers and referral counts
DOCUMENT = 7  # plus the document, its pages, its referrals, the form's locations, the audit row


def blank_tiff(pages: int) -> bytes:
    frames = [Image.new("1", (850, 1100), 1) for _ in range(pages)]
    out = io.BytesIO()
    frames[0].save(out, "TIFF", save_all=True, append_images=frames[1:], compression="group4")
    return out.getvalue()


@pytest.mark.parametrize("n", SIZES)
def test_the_inbox_costs_the_same_with_30_documents(
    n, client, coordinator, django_assert_num_queries
):
    provider = ProviderFactory()
    content = blank_tiff(1)
    for i in range(n):
        document, _ = receive(content, external_id=f"fax-{i}")
        InboundDocument.objects.filter(pk=document.pk).update(provider=provider)
    client.get(reverse("intake:inbox"))
    with django_assert_num_queries(INBOX):
        page = client.get(reverse("intake:inbox")).content.decode()
    assert page.count("known provider") == n


@pytest.mark.parametrize("n", SIZES)
def test_a_document_costs_the_same_with_30_pages_and_30_referrals(
    n, client, coordinator, location, django_assert_num_queries
):
    document, _ = receive(blank_tiff(n))
    document = services.inbound_document_read(document_id=document.pk)
    provider = ProviderFactory()
    provider_data = {
        "npi": provider.npi,
        "first_name": "A",
        "last_name": "B",
        "practice_name": "P",
        "phone": provider.phone,
    }
    for i in range(n):
        data = referral_data(location, mobile_phone=f"+1617555{i:04d}", patient_last_name=f"P{i}")
        services.inbound_document_refer(
            document=document,
            data=data,
            provider_data=provider_data,
            by=coordinator,
            more_to_come=True,
        )
    assert ReferringProvider.objects.count() == 1
    url = reverse("intake:inbox_document", args=[document.pk])
    client.get(url)
    with django_assert_num_queries(DOCUMENT):
        page = client.get(url).content.decode()
    assert page.count('alt="Page ') == n
