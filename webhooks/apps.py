from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "webhooks"
    label = "webhooks"
    verbose_name = "Webhooks and outbox"

    def ready(self) -> None:
        from webhooks import checks, handlers  # noqa: F401  (settings check; accounts event forwarding)
