"""`POST /settlements/close-early/`: a finance admin closes a supplier's current period at a cut-off."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status

from api_docs.responses import problems
from pharmex.api.permissions import Staff
from pharmex.api.serializers import StrictInputSerializer
from pharmex.api.views import ApiView
from pharmex.choices import StaffRole
from settlements.serializers import StatementOutput
from settlements.services.early_close import statement_close_early


class CloseEarlyInput(StrictInputSerializer):
    supplier_id = serializers.IntegerField(min_value=1)
    cut_off = serializers.DateTimeField(help_text="The statement settles orders paid before this moment (ISO 8601).")


@extend_schema(tags=["settlements"])
class StatementCloseEarlyApi(ApiView):
    policies = {"post": Staff(StaffRole.FINANCE_ADMIN)}

    @extend_schema(
        summary="Close a supplier's current period early at a cut-off (finance admin)",
        description="For a supplier leaving the platform, or year-end: a draft statement of its orders paid from the "
        "end of its last statement up to the cut-off. The period's regular statement then starts at the cut-off.",
        request=CloseEarlyInput,
        responses={201: StatementOutput, **problems(400, 403)},
    )
    def post(self, request):
        statement = statement_close_early(actor=self.actor, **self.parse(CloseEarlyInput))
        return self.respond(StatementOutput, statement, status=status.HTTP_201_CREATED)
