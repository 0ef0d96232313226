"""The domain error base class: services raise these, the API renders them as problem+json."""

from __future__ import annotations

from typing import Any, ClassVar

from django.utils.translation import gettext_lazy as _


class DomainError(Exception):
    """A request that is well-formed but refused by a business rule.

    `code` is the machine-readable reason and `problem` the slug of the problem `type` URI;
    both are part of the API contract: add new ones, never rename.
    """

    code: ClassVar[str] = "domain_error"
    problem: ClassVar[str] = "conflict"
    title: ClassVar[Any] = _("The request conflicts with the current state")
    http_status: ClassVar[int] = 409
    retry_after: ClassVar[int | None] = None  # seconds, sent as Retry-After: worth retrying as it is

    def __init__(
        self,
        detail: Any = None,
        *,
        field: str | None = None,
        errors: list[dict] | None = None,
        retry_after: int | None = None,
    ):
        self.detail = detail if detail is not None else self.title
        self.field = field
        self.errors = errors
        if retry_after is not None:
            self.retry_after = retry_after
        super().__init__(str(self.detail))


class InvalidInput(DomainError):
    """A value a service refuses as a whole request would: answered exactly like a serializer's 400.

    `errors` lists each problem as {"field", "code", "message"} (the field as the request names it).
    """

    code = "invalid"
    problem = "validation-error"
    title = _("The request is not valid")
    http_status = 400

    def __init__(self, errors: list[dict], detail: Any = None):
        super().__init__(detail if detail is not None else (errors[0]["message"] if len(errors) == 1 else None))
        self.errors = errors


class InvalidTransition(DomainError):
    code = "invalid_transition"
    problem = "invalid-transition"
    title = _("This action is not allowed in the current state")


class NotFound(DomainError):
    code = "not_found"
    problem = "not-found"
    title = _("Not found")
    http_status = 404


class PreconditionFailed(DomainError):
    code = "precondition_failed"
    problem = "precondition-failed"
    title = _("The resource has changed since you read it")
    http_status = 412


class PreconditionRequired(DomainError):
    """A change that must name the version it was made against (`If-Match`) and did not."""

    code = "precondition_required"
    problem = "precondition-required"
    title = _("Send If-Match with the ETag you last read")
    http_status = 428


class OrganizationRequired(DomainError):
    code = "organization_required"
    problem = "organization-required"
    title = _("Choose the organisation to act for with the X-Organization-ID header")
    http_status = 400


class OrganizationSuspended(DomainError):
    """The organisation the caller acts for is suspended: it may read, and only end business already done."""

    code = "organization_suspended"
    problem = "organization-suspended"
    title = _("Your organisation is suspended: it may read, and only cancel, receive or settle what is under way")
    http_status = 403


class MandateExpired(DomainError):
    """The caller's own authority to act for the organisation ended (a sales representative's power of attorney
    expired or was revoked): it may read, and only what a suspended organisation may still do."""

    code = "authorization_expired"
    problem = "authorization-expired"
    title = _("Your authorisation to act for this organisation has expired: you may read, but not act")
    http_status = 403


class CredentialsInvalid(DomainError):
    """Sign-in or a token refused: answered exactly like DRF's 401 authentication-failed."""

    code = "authentication_failed"
    problem = "authentication-failed"
    title = _("The credentials are not valid")
    http_status = 401


class NotAParty(DomainError):
    """The caller may see the object but is not the party that may do this to it (e.g. a buyer confirming)."""

    code = "permission_denied"
    problem = "permission-denied"
    title = _("You may not perform this action")
    http_status = 403


class IdempotencyKeyInFlight(DomainError):
    code = "idempotency_key_in_flight"
    problem = "idempotency-key-in-flight"
    title = _("A request with this Idempotency-Key is still being processed")
    retry_after = 1


class IdempotencyKeyReused(DomainError):
    code = "idempotency_key_reused"
    problem = "idempotency-key-reused"
    title = _("This Idempotency-Key was already used with a different request")
    http_status = 422


def all_domain_errors() -> list[type[DomainError]]:
    """Every DomainError subclass loaded so far (the API guide lists their problem types)."""
    found: list[type[DomainError]] = []
    pending = [DomainError]
    while pending:
        cls = pending.pop()
        found.append(cls)
        pending.extend(cls.__subclasses__())
    return found
