from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins

from accounts import selectors
from accounts.filters import AuditEventFilter
from accounts.serializers import AuditEventOutput
from pharmex.api.pagination import NewestFirstCursorPagination
from pharmex.api.permissions import SignedIn
from pharmex.api.views import ApiViewSet


@extend_schema_view(
    list=extend_schema(
        summary="List audit events (admins: all; organisations: their own)",
        description="Newest first, cursor-paginated. `sequence` and `hash` are set once the record is chained.",
    )
)
@extend_schema(tags=["audit"])
class AuditEventViewSet(mixins.ListModelMixin, ApiViewSet):
    serializer_class = AuditEventOutput
    pagination_class = NewestFirstCursorPagination
    filterset_class = AuditEventFilter
    policies = {"list": SignedIn()}  # the selector decides which records: admins all, others their organisation's

    def get_queryset(self):
        return selectors.audit_event_list(actor=self.actor)
