"""Every periodic job, in one place. `manage.py setup_schedules` writes them into django-celery-beat
(once: admins may then change them in the admin site, and a rerun keeps their changes)."""

from django.conf import settings

SCHEDULES = [
    {
        "name": "Seal the audit chain",
        "task": "pharmex.tasks.seal_audit_chain_task",
        "every_seconds": settings.AUDIT_SEAL_INTERVAL_SECONDS,
    },
    {
        "name": "Verify the audit chain since its checkpoint",
        "task": "pharmex.tasks.verify_audit_chain_task",
        "every_seconds": 300,
    },
    {
        "name": "Purge expired idempotency keys",
        "task": "pharmex.tasks.purge_idempotency_keys_task",
        "every_seconds": 3600,
    },
    {
        "name": "Purge rate-limit counters of past windows (kept in PostgreSQL when there is no Redis)",
        "task": "pharmex.tasks.purge_rate_counters_task",
        "every_seconds": 3600,
    },
    {
        "name": "Purge expired admin-site sessions",
        "task": "pharmex.tasks.purge_expired_sessions_task",
        "crontab": {"minute": "20", "hour": "3"},
    },
    {
        "name": "Licence expiry warnings and suspension",
        "task": "accounts.tasks.license_expiry_run_task",
        "crontab": {"minute": "5", "hour": "0"},
    },  # 00:05 Asia/Shanghai, just after the day changes
    {
        "name": "Re-verification: open due reviews, suspend overdue ones",
        "task": "accounts.tasks.reverification_run_task",
        "crontab": {"minute": "15", "hour": "0"},
    },
    {
        "name": "Drugs whose registration expired leave the market",
        "task": "catalog.tasks.drug_registration_expiry_run_task",
        "crontab": {"minute": "10", "hour": "0"},
    },
    {
        "name": "First-business documents and approvals: expiry warnings",
        "task": "firstbusiness.tasks.document_expiry_run_task",
        "crontab": {"minute": "10", "hour": "0"},
    },  # 00:10 Asia/Shanghai, after the licence job
    {
        "name": "GSP records: purge orders past their retention period (off unless RECORDS_PURGE_ENABLED)",
        "task": "records.tasks.records_purge_task",
        "crontab": {"minute": "30", "hour": "3", "day_of_month": "1"},
    },
    {
        "name": "Partitions: create the months ahead, split rows out of the default partitions",
        "task": "pharmex.tasks.partitions_maintain_task",
        "crontab": {"minute": "45", "hour": "2"},
    },
    {
        "name": "Partitions: detach months past retention (off unless PARTITIONS_DETACH_ENABLED)",
        "task": "pharmex.tasks.partitions_detach_task",
        "crontab": {"minute": "0", "hour": "4", "day_of_month": "1"},
    },  # after the records purge of 03:30
    {"name": "Expire unconfirmed orders", "task": "orders.tasks.order_expire_due_task", "every_seconds": 60},
    {"name": "Flag orders not shipped in time", "task": "orders.tasks.order_flag_overdue_task", "every_seconds": 900},
    {"name": "Auto-receive shipped orders", "task": "orders.tasks.order_auto_receive_due_task", "every_seconds": 3600},
    {
        "name": "Webhooks: dispatch due retries",
        "task": "webhooks.tasks.webhook_retry_due_task",
        "every_seconds": 60,
    },
    {
        "name": "Webhooks: outbox sweep (re-dispatch lost tasks)",
        "task": "webhooks.tasks.webhook_outbox_sweep_task",
        "every_seconds": 60,
    },
    {
        "name": "Webhooks: purge old outbox events",
        "task": "webhooks.tasks.webhook_outbox_purge_task",
        "crontab": {"minute": "30", "hour": "3"},
    },
    {
        "name": "Settlements: statements of the last closed period",
        "task": "settlements.tasks.statement_generate_due_task",
        "crontab": {"minute": "30", "hour": "1"}
        | ({"day_of_week": "1"} if settings.SETTLEMENT_PERIOD == "week" else {"day_of_month": "1"}),
    },  # 01:30 Asia/Shanghai on the 1st of the month (or each Monday with SETTLEMENT_PERIOD=week)
    {
        "name": "Ledger: add the last hour's postings to the balance checkpoints",
        "task": "settlements.tasks.balances_checkpoint_task",
        "every_seconds": 3600,
    },
    {
        "name": "Settlements: rematch open bank lines",
        "task": "settlements.tasks.bank_lines_rematch_task",
        "every_seconds": 3600,
    },
]
