"""Billing's Celery tasks (found by autodiscovery): the payments ledger's."""

from .payments.tasks import charge_payment, charge_waiting_payments, refund_payment

__all__ = ["charge_payment", "charge_waiting_payments", "refund_payment"]
