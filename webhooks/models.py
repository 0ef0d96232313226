"""Webhook endpoints, the transactional outbox and the delivery log (SPEC §5 webhooks, §9 outbox sweep)."""

from __future__ import annotations

import uuid6
from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.utils import timezone

from webhooks.choices import DeliveryStatus


class WebhookEndpoint(models.Model):
    """An HTTPS URL an organisation registered to receive the event types it subscribed to.

    `secret` signs every delivery (HMAC needs the secret itself, so it is stored, never shown after
    creation or rotation). During a rotation's overlap `previous_secret` signs too, until it expires.
    """

    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.CASCADE, related_name="webhook_endpoints"
    )
    url = models.CharField(max_length=2000)  # checked by ssrf.check_url, not URLField (which allows far more)
    description = models.CharField(max_length=200, blank=True, default="")
    event_types = ArrayField(models.CharField(max_length=64))
    secret = models.CharField(max_length=128)
    previous_secret = models.CharField(max_length=128, blank=True, default="")
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True)
    is_active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(event_types__len__gt=0), name="webhook_endpoint_has_event_types")
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.url}"

    def signing_secrets(self, *, now=None) -> list[str]:
        """The secrets a delivery is signed with now: the current one, plus the previous one while it overlaps."""
        now = now or timezone.now()
        secrets = [self.secret]
        if self.previous_secret and self.previous_secret_expires_at and self.previous_secret_expires_at > now:
            secrets.append(self.previous_secret)
        return secrets


class OutboxEvent(models.Model):
    """One event for one recipient organisation, written in the same transaction as the change it announces.

    `event_id` is the stable id receivers dedupe on: every attempt of every delivery of this event
    carries it. Object ids are plain values, not foreign keys: the event outlives what it describes.
    """

    # Time-ordered (UUIDv7): its unique index holds 90 days of every party's events, and a random key would cost a
    # page of WAL an insert once that index is large (bench/index_keys.py).
    event_id = models.UUIDField(unique=True, default=uuid6.uuid7, editable=False)
    event_type = models.CharField(max_length=64)
    # Indexed by outbox_event_org_recent, which leads with it: no index of its own.
    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    object_type = models.CharField(max_length=64)
    object_id = models.CharField(max_length=64)
    payload = models.JSONField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(fields=["organization", "-id"], name="outbox_event_org_recent"),
            models.Index(fields=["object_type", "object_id"], name="outbox_event_object"),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} {self.event_id}"


class WebhookDelivery(models.Model):
    """The delivery of one outbox event to one endpoint: its schedule and state.

    Attempts are claimed with a conditional UPDATE (`claim_token`, `claimed_until`), so two workers
    never send the same attempt and no lock is held during the HTTP call. `dispatched_at` is when a
    task for the next attempt was (or will become) runnable: the sweeper re-dispatches deliveries
    whose task never ran (a lost broker message), the retry job those that have no task at all.
    """

    # Indexed by webhook_delivery_once_per_endpoint (event, endpoint) and webhook_delivery_endpoint, which lead with
    # them: no index of their own.
    event = models.ForeignKey(OutboxEvent, on_delete=models.CASCADE, related_name="deliveries", db_index=False)
    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries", db_index=False)
    status = models.CharField(max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveIntegerField(default=0)  # attempts started so far
    max_attempts = models.PositiveIntegerField()  # gives up when an attempt with this number fails
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    dispatched_at = models.DateTimeField(null=True, blank=True)
    claim_token = models.UUIDField(null=True, blank=True)
    claimed_until = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True, default="")
    succeeded_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "webhook deliveries"
        constraints = [
            models.UniqueConstraint(fields=["event", "endpoint"], name="webhook_delivery_once_per_endpoint"),
            models.CheckConstraint(
                condition=~Q(status=DeliveryStatus.PENDING) | Q(next_attempt_at__isnull=False),
                name="webhook_delivery_pending_is_scheduled",
            ),
        ]
        indexes = [
            models.Index(fields=["endpoint", "-id"], name="webhook_delivery_endpoint"),
            models.Index(
                fields=["next_attempt_at"], condition=Q(status=DeliveryStatus.PENDING), name="webhook_delivery_due"
            ),
        ]

    def __str__(self) -> str:
        return f"delivery #{self.pk} ({self.status})"


class WebhookAttempt(models.Model):
    """One HTTP attempt of a delivery, as the delivery log shows it."""

    # Indexed by webhook_attempt_delivery, which leads with it: no index of its own.
    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="attempt_log", db_index=False)
    number = models.PositiveIntegerField()
    attempted_at = models.DateTimeField()
    url = models.CharField(max_length=2000)
    ip = models.GenericIPAddressField(null=True, blank=True)  # the resolved, checked address connected to
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    succeeded = models.BooleanField()
    error = models.CharField(max_length=500, blank=True, default="")
    duration_ms = models.PositiveIntegerField()
    response_body = models.TextField(blank=True, default="")  # the first 1 KB

    class Meta:
        indexes = [models.Index(fields=["delivery", "-id"], name="webhook_attempt_delivery")]

    def __str__(self) -> str:
        return f"attempt {self.number} of delivery #{self.delivery_id}"
