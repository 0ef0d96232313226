"""Every write of the webhooks app (STYLE G5): keyword-only, atomic, audited.

Other apps call `outbox_publish` inside their own transaction; the rest serves the API, the admin
site and the Celery tasks.
"""

from webhooks.services.deliveries import (
    backoff_delay,
    webhook_deliver,
    webhook_delivery_redeliver,
    webhook_outbox_purge,
    webhook_outbox_sweep,
    webhook_retry_due,
)
from webhooks.services.endpoints import (
    webhook_endpoint_create,
    webhook_endpoint_delete,
    webhook_endpoint_rotate_secret,
    webhook_endpoint_update,
)
from webhooks.services.outbox import json_safe, outbox_publish

__all__ = [
    "backoff_delay",
    "json_safe",
    "outbox_publish",
    "webhook_deliver",
    "webhook_delivery_redeliver",
    "webhook_endpoint_create",
    "webhook_endpoint_delete",
    "webhook_endpoint_rotate_secret",
    "webhook_endpoint_update",
    "webhook_outbox_purge",
    "webhook_outbox_sweep",
    "webhook_retry_due",
]
