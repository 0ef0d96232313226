"""Query filters of the webhooks API: strict (a malformed or repeated parameter is a 400, never ignored)."""

from django_filters import rest_framework as filters

from pharmex.api.filters import BooleanFilter, StrictFilterSet
from webhooks.choices import DeliveryStatus
from webhooks.events import EVENT_TYPE_CHOICES
from webhooks.models import WebhookDelivery, WebhookEndpoint


class WebhookEndpointFilter(StrictFilterSet):
    is_active = BooleanFilter()

    class Meta(StrictFilterSet.Meta):
        model = WebhookEndpoint
        fields = ["is_active"]


class WebhookDeliveryFilter(StrictFilterSet):
    status = filters.ChoiceFilter(choices=DeliveryStatus.choices)
    event_type = filters.ChoiceFilter(field_name="event__event_type", choices=EVENT_TYPE_CHOICES)

    class Meta(StrictFilterSet.Meta):
        model = WebhookDelivery
        fields = ["status", "event_type"]
