from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SettlementsConfig(AppConfig):
    name = "settlements"
    verbose_name = _("Settlements, ledger and reconciliation")

    def ready(self) -> None:
        # Subscribes to order.received (SPEC §1: one explicit event, nothing imports settlements).
        from settlements import handlers  # noqa: F401
