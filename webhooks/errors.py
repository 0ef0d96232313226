from django.utils.translation import gettext_lazy as _

from pharmex.errors import DomainError


class WebhookUrlNotAllowed(DomainError):
    """The URL is not https, or its host resolves to a private, loopback, link-local or reserved address."""

    code = "webhook_url_not_allowed"
    problem = "webhook-url-not-allowed"
    title = _("This webhook URL is not allowed")
    http_status = 400


class WebhookEventTypeUnknown(DomainError):
    code = "webhook_event_type_unknown"
    problem = "webhook-event-type-unknown"
    title = _("Unknown webhook event type")
    http_status = 400


class WebhookEndpointLimit(DomainError):
    code = "webhook_endpoint_limit"
    problem = "webhook-endpoint-limit"
    title = _("The organisation has registered the maximum number of webhook endpoints")


class WebhookEndpointInactive(DomainError):
    code = "webhook_endpoint_inactive"
    problem = "webhook-endpoint-inactive"
    title = _("The webhook endpoint is disabled; enable it before redelivering")


class WebhookDeliveryInProgress(DomainError):
    code = "webhook_delivery_in_progress"
    problem = "webhook-delivery-in-progress"
    title = _("An attempt of this delivery is running right now; try again in a minute")


class OutboxOutsideTransaction(RuntimeError):
    """A programming error, never an API answer: an announcement without the change it announces."""
