from django.apps import AppConfig


class PharmexConfig(AppConfig):
    name = "pharmex"
    verbose_name = "PharmEx platform"

    def ready(self) -> None:
        from pharmex import checks  # noqa: F401  (registers the system checks; Django's own idiom for ready())
