"""Choices the kernel itself needs (the apps keep theirs in their own choices.py)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class StaffRole(models.TextChoices):
    """Platform staff roles; a Django superuser holds every one of them (SPEC §3)."""

    ADMIN = "admin", _("Platform admin")
    FINANCE_ADMIN = "finance_admin", _("Platform finance admin")
