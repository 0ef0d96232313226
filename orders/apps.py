from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrdersConfig(AppConfig):
    name = "orders"
    verbose_name = _("Orders, shipments and recalls")

    def ready(self) -> None:
        from orders import handlers  # noqa: F401  (a drug leaving the market holds its open orders)
