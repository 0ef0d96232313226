"""`POST /recalls/{id}/open-returns/`: a recall opens returns for every affected buyer in one action."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.decorators import action

from api_docs.responses import problems
from orders import selectors
from orders.apis.returns import ReturnOutput
from orders.apis.trace_recalls import RECALLING
from orders.return_selectors import return_list
from orders.services.returns import recall_open_returns
from pharmex.api.views import ApiViewSet
from pharmex.errors import NotFound


@extend_schema(tags=["recalls"])
class RecallReturnsViewSet(ApiViewSet):
    serializer_class = ReturnOutput
    lookup_value_regex = r"\d+"
    policies = {"open_returns": RECALLING}

    @extend_schema(
        summary="Open recall returns for every affected buyer (admins, or the drug's MAH)",
        description="Per received order of the recalled lots: every accepted unit no return holds yet. The buyers "
        "then ship them back; there is no return window for recalls.",
        request=None,
        responses={201: ReturnOutput(many=True), **problems(403, 404)},
    )
    @action(detail=True, methods=["post"], url_path="open-returns")
    def open_returns(self, request, pk=None):
        recall = selectors.recall_list(actor=self.actor).filter(pk=pk).first()
        if recall is None:
            raise NotFound()
        opened = recall_open_returns(recall=recall, actor=self.actor)
        rows = return_list(actor=self.actor).filter(pk__in=[r.pk for r in opened]).order_by("id")
        return self.respond(ReturnOutput, rows, many=True, status=status.HTTP_201_CREATED)
