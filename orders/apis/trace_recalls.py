from django.http import Http404
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ErrorDetail, ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.actor import actor_from_request
from accounts.permissions import IsPlatformAdmin
from api_docs.responses import problems
from catalog.models import Drug
from orders import selectors, services
from orders.serializers import RecallAffectedOutput, RecallInput, RecallOutput, TraceOutput
from pharmex.api.idempotency import idempotent


class TraceApi(APIView):
    @extend_schema(
        tags=["trace"],
        summary="Trace a code: drug, lot, expiry, supplier, order, buyer",
        description="For the supplier and buyer of the shipment that carried the code, and platform staff; "
        "anyone else gets 404.",
        responses={200: TraceOutput, **problems(404)},
    )
    def get(self, request, code: str):
        trace = selectors.trace_lookup(actor=actor_from_request(request), code=code)
        if trace is None:
            raise Http404
        line, order = trace.shipment_line, trace.shipment_line.shipment.order
        body = {
            "code": trace.code,
            "drug_id": line.drug_id,
            "drug_name": line.drug.generic_name,
            "specification": line.drug.specification,
            "approval_number": line.drug.approval_number,
            "lot_number": line.lot_number,
            "expiry_date": line.expiry_date,
            "order_number": order.number,
            "supplier": order.supplier,
            "buyer": order.buyer,
            "shipped_at": order.shipped_at,
        }
        return Response(TraceOutput(body).data)


@extend_schema_view(
    list=extend_schema(summary="List recalls"),
    retrieve=extend_schema(summary="Retrieve a recall"),
)
@extend_schema(tags=["recalls"])
class RecallViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = RecallOutput

    def get_queryset(self):
        return selectors.recall_list(actor=actor_from_request(self.request))

    def get_permissions(self):
        if self.action == "create":
            return [IsAuthenticated(), IsPlatformAdmin()]
        return [IsAuthenticated()]

    @extend_schema(
        summary="Issue a recall (admin): those lots can no longer be shipped; buyers are notified",
        request=RecallInput,
        responses={201: RecallOutput, **problems(400)},
    )
    @idempotent
    def create(self, request, *args, **kwargs):
        data = RecallInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        drug = Drug.objects.filter(pk=values.pop("drug")).first()
        if drug is None:
            raise ValidationError({"drug": [ErrorDetail("No such drug.", code="does_not_exist")]})
        recall = services.recall_issue(actor=actor_from_request(request), drug=drug, **values)
        return Response(RecallOutput(recall).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Shipments affected by a recall (staff: all; organisations: their own)",
        responses={200: RecallAffectedOutput(many=True)},
    )
    @action(detail=True, methods=["get"])
    def affected(self, request, pk=None):
        lines = selectors.recall_affected_lines(recall=self.get_object(), actor=actor_from_request(request))
        page = self.paginate_queryset(lines)
        return self.get_paginated_response(RecallAffectedOutput(page, many=True).data)
