from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FirstBusinessConfig(AppConfig):
    name = "firstbusiness"
    verbose_name = _("First-business review (电子首营)")

    def ready(self) -> None:
        from firstbusiness import handlers  # noqa: F401  (marks on the catalogue's market view)
