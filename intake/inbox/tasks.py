from celery import shared_task

from .services import inbound_document_read


# Bounded: Tesseract has its own per-page timeout; a document that still takes longer is
# stopped and stays queued (the coordinator sees it waiting and can open the file).
@shared_task(name="intake.inbox.tasks.read_document", soft_time_limit=600, time_limit=660)
def read_document(document_id: int) -> None:
    inbound_document_read(document_id=document_id)
