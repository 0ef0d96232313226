from django.db import models
from django.utils.translation import gettext_lazy as _


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")  # waiting for its next attempt (next_attempt_at)
    SUCCEEDED = "succeeded", _("Succeeded")  # the endpoint answered 2xx; terminal unless redelivered
    GAVE_UP = "gave_up", _("Gave up")  # every attempt failed (or the endpoint was disabled); redeliver revives it
