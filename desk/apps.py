from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DeskConfig(AppConfig):
    """The operator's desk: the admin index's review queues and dashboard, over every app (the top layer)."""

    name = "desk"
    verbose_name = _("Operations desk")
