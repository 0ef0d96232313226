"""Celery entry points of the settlements app (STYLE G20).

Services are imported in the task bodies: settlements.services.reconciliation queues a task of this module, so
module-level imports here would be a cycle (the one sanctioned local import, STYLE "Imports inside task bodies").
"""

from datetime import date

from celery import shared_task

from pharmex.actor import SYSTEM_ACTOR


@shared_task(acks_late=True)
def statement_generate_due_task() -> int:
    from settlements.services import statement_generate_due

    return statement_generate_due()


@shared_task(acks_late=True)
def statement_generate_task(period_kind: str, day: str) -> int:
    from settlements.services import statement_generate

    return len(statement_generate(period_kind=period_kind, day=date.fromisoformat(day), actor=SYSTEM_ACTOR))


@shared_task(acks_late=True)
def receipt_post_task(order_id: int) -> int | None:
    """Re-post a receipt (repair path; receipts normally post inside the receipt transaction)."""
    from settlements.services import receipt_post

    receivable = receipt_post(order_id=order_id)
    return receivable.pk if receivable else None


@shared_task(acks_late=True)
def bank_lines_rematch_task() -> int:
    from settlements.services import bank_lines_rematch

    return bank_lines_rematch(actor=SYSTEM_ACTOR)


@shared_task(acks_late=True)
def bank_statement_import_task(statement_id: int) -> str | None:
    """Parse, store and match an uploaded bank statement; a rerun of a finished one does nothing."""
    from settlements.services import bank_statement_import

    statement = bank_statement_import(statement_id=statement_id)
    return statement.status if statement is not None else None


@shared_task(acks_late=True)
def balances_checkpoint_task() -> int | None:
    from settlements.services import balances_checkpoint

    return balances_checkpoint()
