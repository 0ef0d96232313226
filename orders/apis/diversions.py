from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins
from rest_framework.decorators import action

from api_docs.responses import problems
from orders import selectors, services
from orders.apis.orders import READING
from orders.filters import DiversionFilter
from orders.serializers import DiversionOutput, DiversionResolveInput
from pharmex.api.pagination import NewestFirstCursorPagination
from pharmex.api.permissions import Staff
from pharmex.api.views import ApiViewSet
from pharmex.choices import StaffRole


@extend_schema_view(
    list=extend_schema(
        summary="Suspected diversions (回流/串货): staff all; an organisation those naming it as the holder"
    ),
    retrieve=extend_schema(summary="Retrieve a suspected diversion"),
)
@extend_schema(tags=["trace"])
class DiversionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    serializer_class = DiversionOutput
    pagination_class = NewestFirstCursorPagination
    filterset_class = DiversionFilter
    lookup_value_regex = r"\d+"
    policies = {
        "list": READING,
        "retrieve": READING,
        "resolve": Staff(StaffRole.ADMIN),
    }

    def get_queryset(self):
        return selectors.diversion_list(actor=self.actor)

    @extend_schema(
        summary="Resolve a suspected diversion (admin): confirmed or dismissed, with a note",
        request=DiversionResolveInput,
        responses={200: DiversionOutput, **problems(409)},
    )
    @action(detail=True, methods=["post"])
    def resolve(self, request, pk=None):
        flag = services.diversion_resolve(flag=self.get_object(), actor=self.actor, **self.parse(DiversionResolveInput))
        return self.respond(DiversionOutput, flag)
