from celery import shared_task


@shared_task(acks_late=True)
def statement_generate_due_task() -> int:
    from settlements.services import statement_generate_due

    return statement_generate_due()


@shared_task(acks_late=True)
def statement_generate_task(period_kind: str, day: str) -> int:
    from datetime import date

    from pharmex.audit import SYSTEM
    from settlements.services import statement_generate

    return len(statement_generate(period_kind=period_kind, day=date.fromisoformat(day), actor=SYSTEM))


@shared_task(acks_late=True)
def receipt_post_task(order_id: int) -> int | None:
    """Re-post a receipt (repair path; receipts normally post inside the receipt transaction)."""
    from settlements.services import receipt_post

    receivable = receipt_post(order_id=order_id)
    return receivable.pk if receivable else None


@shared_task(acks_late=True)
def bank_lines_rematch_task() -> int:
    from pharmex.audit import SYSTEM
    from settlements.services import bank_lines_rematch

    return bank_lines_rematch(actor=SYSTEM)
