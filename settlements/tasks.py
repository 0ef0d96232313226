"""Celery entry points of the settlements app (STYLE G20)."""

from datetime import date

from celery import shared_task

from pharmex.actor import SYSTEM_ACTOR
from settlements.services import bank_lines_rematch, receipt_post, statement_generate, statement_generate_due


@shared_task(acks_late=True)
def statement_generate_due_task() -> int:
    return statement_generate_due()


@shared_task(acks_late=True)
def statement_generate_task(period_kind: str, day: str) -> int:
    return len(statement_generate(period_kind=period_kind, day=date.fromisoformat(day), actor=SYSTEM_ACTOR))


@shared_task(acks_late=True)
def receipt_post_task(order_id: int) -> int | None:
    """Re-post a receipt (repair path; receipts normally post inside the receipt transaction)."""
    receivable = receipt_post(order_id=order_id)
    return receivable.pk if receivable else None


@shared_task(acks_late=True)
def bank_lines_rematch_task() -> int:
    return bank_lines_rematch(actor=SYSTEM_ACTOR)
