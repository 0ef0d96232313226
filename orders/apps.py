from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "orders"
    verbose_name = "Orders, shipments and recalls"

    def ready(self) -> None:
        from orders import handlers  # noqa: F401  (a drug leaving the market holds its open orders)
