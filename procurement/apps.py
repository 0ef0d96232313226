from django.apps import AppConfig


class ProcurementConfig(AppConfig):
    name = "procurement"
    verbose_name = "Public procurement (公立医院采购)"

    def ready(self) -> None:
        from procurement import gate, handlers  # noqa: F401  (the gate rules of SPEC §5a; the market prices)
        from procurement.services import invoice_chain  # noqa: F401  (receipt checks the two-invoice chain)
