from django.apps import AppConfig


class SettlementsConfig(AppConfig):
    name = "settlements"
    verbose_name = "Settlements, ledger and reconciliation"

    def ready(self) -> None:
        # Subscribes to order.received (SPEC §1: one explicit event, nothing imports settlements).
        from settlements import handlers  # noqa: F401
