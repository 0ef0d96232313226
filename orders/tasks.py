from celery import shared_task


@shared_task(acks_late=True)
def order_expire_due_task() -> int:
    from orders.services import order_expire_due

    return order_expire_due()


@shared_task(acks_late=True)
def order_flag_overdue_task() -> int:
    from orders.services import order_flag_overdue

    return order_flag_overdue()


@shared_task(acks_late=True)
def order_auto_receive_due_task() -> int:
    from orders.services import order_auto_receive_due

    return order_auto_receive_due()
