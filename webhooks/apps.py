from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebhooksConfig(AppConfig):
    name = "webhooks"
    label = "webhooks"
    verbose_name = _("Webhooks and outbox")

    def ready(self) -> None:
        from webhooks import checks, handlers  # noqa: F401  (settings check; accounts event forwarding)
