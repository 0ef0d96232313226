from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.actor import actor_from_request
from api_docs.responses import problems
from settlements import selectors
from settlements.apis.common import ReadsMoney
from settlements.serializers import AgingReportOutput


class AgingQuery(serializers.Serializer):
    as_of = serializers.DateField(required=False)


class ReceivablesAgingApi(APIView):
    permission_classes = [IsAuthenticated, ReadsMoney]

    @extend_schema(
        tags=["reports"],
        summary="Receivables aging per buyer: current, 1–30, 31–60, 61–90, over 90 days overdue",
        description="What each buyer still owes on received orders, by days past the due date (receipt + credit "
        "terms) on `as_of` (default today, Asia/Shanghai). A buyer sees its own row; staff see every buyer.",
        parameters=[OpenApiParameter("as_of", str, description="YYYY-MM-DD", required=False)],
        responses={200: AgingReportOutput, **problems(400, 403)},
    )
    def get(self, request):
        query = AgingQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        as_of = query.validated_data.get("as_of") or timezone.localdate()
        rows = selectors.receivables_aging(actor=actor_from_request(request), on=as_of)
        body = {"as_of": as_of, "currency": "CNY", "buyers": rows, "totals": selectors.aging_totals(rows)}
        return Response(AgingReportOutput(body).data)
