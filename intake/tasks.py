"""Intake's Celery tasks (found by Celery's autodiscovery through this module)."""

from .inbox.tasks import read_document

__all__ = ["read_document"]
