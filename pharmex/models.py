from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class IdempotencyKey(models.Model):
    """A used `Idempotency-Key` and the response to replay (SPEC §8).

    Claimed, and given its response, inside the transaction of the request's work: a committed row
    is always a finished request.
    """

    scope = models.CharField(max_length=64)  # "org:<id>", "user:<id>" or "anon:<address>"
    key = models.CharField(max_length=255)
    method = models.CharField(max_length=8)
    path = models.CharField(max_length=512)
    fingerprint = models.CharField(max_length=64)  # SHA-256 of method, path and canonical body
    response_status = models.PositiveSmallIntegerField(null=True)
    response_body = models.JSONField(null=True)
    response_headers = models.JSONField(default=dict)
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["scope", "key"], name="idempotency_key_unique_per_scope")]

    def __str__(self) -> str:
        return f"{self.scope}/{self.key} ({self.response_status})"


class AuditEvent(models.Model):
    """One append-only audit record (SPEC §7).

    Written inside the transaction of the change it describes; `seal_audit_chain` later gives it
    its place in the hash chain (`sequence`, `previous_hash`, `hash`), so writers never contend
    on a global "last record" row. Actor and object ids are plain values, not foreign keys:
    the log outlives what it describes.
    """

    class ActorType(models.TextChoices):
        USER = "user", _("User")
        API_KEY = "api_key", _("Api Key")
        SYSTEM = "system", _("System")
        ANONYMOUS = "anonymous", _("Anonymous")

    occurred_at = models.DateTimeField()
    actor_type = models.CharField(max_length=16, choices=ActorType.choices)
    actor_user_id = models.BigIntegerField(null=True)
    actor_api_key_id = models.CharField(max_length=150, null=True)
    actor_label = models.CharField(max_length=255)
    # Indexed by audit_org_recent, which leads with it: no index of its own.
    organization_id = models.BigIntegerField(null=True)
    action = models.CharField(max_length=100)
    object_type = models.CharField(max_length=100)
    object_id = models.CharField(max_length=100)
    changes = models.JSONField(default=dict)
    request_id = models.CharField(max_length=64, null=True)
    sequence = models.BigIntegerField(null=True, unique=True)
    previous_hash = models.CharField(max_length=64, null=True)
    hash = models.CharField(max_length=64, null=True)

    class Meta:
        indexes = [
            models.Index(fields=["organization_id", "-id"], name="audit_org_recent"),
            # The operations desk finds a record's history, and what one request did, by these (pharmex/admin.py).
            models.Index(fields=["object_id"], name="audit_object_id"),
            models.Index(fields=["request_id"], name="audit_request_id"),
            # The records of one action, newest first (the API's and the desk's `action` filter): one that is rare
            # would otherwise be looked for along the primary key, through every record ever written.
            models.Index(fields=["action", "-id"], name="audit_action_recent"),
            # Likewise the records about one kind of object (`?object_type=` without an `object_id`).
            models.Index(fields=["object_type", "-id"], name="audit_type_recent"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(sequence__isnull=True, hash__isnull=True)
                    | models.Q(sequence__isnull=False, hash__isnull=False)
                ),
                name="audit_sealed_fully_or_not_at_all",
            )
        ]

    def __str__(self) -> str:
        return f"#{self.id} {self.action} {self.object_type}:{self.object_id}"


class RateCounter(models.Model):
    """A fixed-window request counter (pharmex.api.ratelimit) when no Redis is configured.

    One row per (name, window); incremented by one atomic upsert, so concurrent requests never undercount.
    The table is UNLOGGED (migration 0004): counters are worth nothing after a crash.
    """

    key = models.CharField(max_length=200, primary_key=True)
    count = models.PositiveIntegerField()
    expires_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"{self.key}: {self.count}"


class TransitionRecord(models.Model):
    """One status change of an object (pharmex.transitions): who, when, from, to, why.

    Every state machine of the platform keeps its history in a concrete subclass with a foreign key to
    the object (OrderEvent, StatementEvent, OrganizationStatusChange, …).
    """

    action = models.CharField(max_length=30)
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20)
    actor = models.CharField(max_length=255)  # the actor's audit label
    note = models.CharField(max_length=1000, blank=True)
    data = models.JSONField(default=dict, blank=True)  # what else the change did (a shipment id, short lines …)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        abstract = True
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.from_status or '-'} → {self.to_status} ({self.action})"
