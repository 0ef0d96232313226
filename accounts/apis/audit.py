from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, viewsets

from accounts import selectors
from accounts.actor import actor_from_request
from pharmex.api.filters import IntegerFilter, StrictFilterSet
from pharmex.api.pagination import NewestFirstCursorPagination
from pharmex.api.serializers import ModelOutputSerializer
from pharmex.models import AuditEvent


class AuditEventOutput(ModelOutputSerializer):
    class Meta:
        model = AuditEvent
        fields = [
            "id",
            "occurred_at",
            "actor_type",
            "actor_user_id",
            "actor_api_key_id",
            "actor_label",
            "organization_id",
            "action",
            "object_type",
            "object_id",
            "changes",
            "request_id",
            "sequence",
            "hash",
        ]


class AuditEventFilter(StrictFilterSet):
    organization_id = IntegerFilter()

    class Meta:
        model = AuditEvent
        fields = ["action", "object_type", "object_id", "organization_id"]


@extend_schema_view(
    list=extend_schema(
        summary="List audit events (admins: all; organisations: their own)",
        description="Newest first, cursor-paginated. `sequence` and `hash` are set once the record is chained.",
    )
)
@extend_schema(tags=["audit"])
class AuditEventViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = AuditEventOutput
    pagination_class = NewestFirstCursorPagination
    filterset_class = AuditEventFilter

    def get_queryset(self):
        return selectors.audit_event_list(actor=actor_from_request(self.request))
