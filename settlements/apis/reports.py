from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers

from api_docs.fields import business_date_schema
from api_docs.responses import problems
from pharmex.api.serializers import BusinessDateField
from pharmex.api.views import ApiView
from settlements import selectors
from settlements.apis.common import READS_MONEY
from settlements.serializers import AgingReportOutput


class AgingQuery(serializers.Serializer):
    as_of = BusinessDateField(required=False, days_ahead=366 * 5)


class ReceivablesAgingApi(ApiView):
    policies = {"get": READS_MONEY}
    query_parameters = {"get": ["as_of"]}
    replica_actions = frozenset({"get"})

    @extend_schema(
        tags=["reports"],
        summary="Receivables aging per buyer: current, 1–30, 31–60, 61–90, over 90 days overdue",
        description="What each buyer still owes on received orders, by days past the due date (receipt + credit "
        "terms) on `as_of` (default today, Asia/Shanghai). A buyer sees its own row; staff see every buyer. The part "
        "of an order a medical insurance fund pays (医保基金直接结算) is never in a buyer's row: staff see it in "
        "`funds`, by days past the fund's due date (receipt + the fund's settlement terms).",
        parameters=[
            OpenApiParameter(
                "as_of",
                business_date_schema(AgingQuery().fields["as_of"]),
                description="YYYY-MM-DD; default today.",
                required=False,
            )
        ],
        responses={200: AgingReportOutput, **problems(400, 403)},
    )
    def get(self, request):
        as_of = self.parse_query(AgingQuery).get("as_of") or timezone.localdate()
        rows = selectors.receivables_aging(actor=self.actor, on=as_of)
        funds = selectors.fund_receivables_aging(actor=self.actor, on=as_of)
        body = {
            "as_of": as_of,
            "currency": "CNY",
            "buyers": rows,
            "totals": selectors.aging_totals(rows),
            "funds": funds,
            "fund_totals": selectors.aging_totals(funds),
        }
        return self.respond(AgingReportOutput, body)
