"""Celery entry points of the orders app: the periodic jobs (STYLE G20)."""

from celery import shared_task

from orders.services import order_auto_receive_due, order_expire_due, order_flag_overdue


@shared_task(acks_late=True)
def order_expire_due_task() -> int:
    return order_expire_due()


@shared_task(acks_late=True)
def order_flag_overdue_task() -> int:
    return order_flag_overdue()


@shared_task(acks_late=True)
def order_auto_receive_due_task() -> int:
    return order_auto_receive_due()
