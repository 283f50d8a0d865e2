from django.db.models import Count, QuerySet
from django.http import Http404

from ..models import INBOX_OPEN, InboundDocument, InboundPage

INBOX_PAGE_ROWS = 50


def inbox_documents() -> QuerySet[InboundDocument]:
    """Documents a coordinator still has to act on, oldest first (the longest wait on top)."""
    return (
        InboundDocument.objects.filter(status__in=INBOX_OPEN)
        .select_related("provider__user")
        .annotate(referral_count=Count("referrals"))
        .order_by("received_at", "pk")
    )


def inbox_document(pk: int) -> InboundDocument:
    document = (
        InboundDocument.objects.select_related("provider__user")
        .prefetch_related("pages", "referrals")
        .filter(pk=pk)
        .first()
    )
    if document is None:
        raise Http404("No such document")
    return document


def inbox_page(*, document_id: int, number: int) -> InboundPage:
    page = InboundPage.objects.filter(document_id=document_id, number=number).first()
    if page is None:
        raise Http404("No such page")
    return page
