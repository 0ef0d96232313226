from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PharmexConfig(AppConfig):
    name = "pharmex"
    verbose_name = _("PharmEx platform")

    def ready(self) -> None:
        from pharmex import checks, lookups  # noqa: F401  (register the system checks and the lookups)
        from pharmex.i18n import mark_model_names

        mark_model_names()  # every model is loaded before any ready() runs
