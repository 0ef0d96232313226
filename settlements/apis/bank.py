from __future__ import annotations

from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from accounts.actor import actor_from_request
from accounts.permissions import IsFinanceAdmin
from api_docs.responses import problems
from pharmex.api.filters import StrictFilterSet
from pharmex.api.idempotency import idempotent
from pharmex.api.pagination import PagePagination
from pharmex.api.serializers import ReasonInput, RequiredReasonInput
from settlements import selectors, services
from settlements.apis.common import IsPlatformStaff
from settlements.choices import BankLineStatus
from settlements.models import BankLine
from settlements.serializers import (
    BankLineMatchInput,
    BankLineOutput,
    BankStatementDetailOutput,
    BankStatementOutput,
    BankStatementUploadInput,
)

CSV_FORMAT = (
    "CSV with a header row: `transaction_id,booked_on,amount,counterparty_account,counterparty_name,reference` "
    "(UTF-8 or GB18030; `amount` signed, positive = money in, two decimals at most; `booked_on` YYYY-MM-DD)."
)


@extend_schema_view(
    list=extend_schema(summary="List imported bank statements (staff)"),
    retrieve=extend_schema(summary="Retrieve a bank statement with its lines and per-status sums (staff)"),
)
@extend_schema(tags=["bank-statements"])
class BankStatementViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = BankStatementOutput
    pagination_class = PagePagination
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        queryset = selectors.bank_statement_list(actor=actor_from_request(self.request))
        if self.action == "retrieve":
            queryset = queryset.prefetch_related("lines__payout")
        return queryset

    def get_parsers(self):
        if self.request is not None and self.request.method == "POST":
            return [MultiPartParser()]
        return super().get_parsers()

    def get_permissions(self):
        if self.action == "create":
            return [IsAuthenticated(), IsFinanceAdmin()]
        return [IsAuthenticated(), IsPlatformStaff()]

    def retrieve(self, request, *args, **kwargs):
        return Response(BankStatementDetailOutput(self.get_object()).data)

    @extend_schema(
        summary="Import a bank statement (finance admin); lines are matched at once",
        description=CSV_FORMAT + " Lines are unique by `transaction_id`: the same file again answers 200 with the "
        "first import, an overlapping file adds only its new lines. Credits naming order numbers, a buyer payment "
        "code (`PXB` + buyer id) or coming from a known account become payments; debits naming a statement "
        "number with its exact net confirm that statement's payout.",
        request={"multipart/form-data": BankStatementUploadInput},
        responses={201: BankStatementDetailOutput, 200: BankStatementDetailOutput, **problems(400, 403, 413)},
    )
    @idempotent
    def create(self, request, *args, **kwargs):
        data = BankStatementUploadInput(data=request.data)
        data.is_valid(raise_exception=True)
        upload = data.validated_data["file"]
        statement, created = services.bank_statement_import(
            file_name=upload.name, content=upload.read(), actor=actor_from_request(request).audit
        )
        body = BankStatementDetailOutput(self.get_queryset().get(pk=statement.pk)).data
        return Response(body, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class BankLineFilter(StrictFilterSet):
    status = filters.ChoiceFilter(choices=BankLineStatus.choices)

    class Meta:
        model = BankLine
        fields = ["status", "statement", "transaction_id"]


@extend_schema_view(
    list=extend_schema(summary="List bank lines, e.g. the exceptions queue `?status=unmatched` (staff)"),
    retrieve=extend_schema(summary="Retrieve a bank line (staff)"),
)
@extend_schema(tags=["bank-statements"])
class BankLineViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = BankLineOutput
    pagination_class = PagePagination
    filterset_class = BankLineFilter

    def get_queryset(self):
        return selectors.bank_line_list(actor=actor_from_request(self.request))

    def get_permissions(self):
        if self.action in ("match", "unmatch", "ignore"):
            return [IsAuthenticated(), IsFinanceAdmin()]
        return [IsAuthenticated(), IsPlatformStaff()]

    def _respond(self, line: BankLine) -> Response:
        return Response(BankLineOutput(self.get_queryset().get(pk=line.pk)).data)

    @extend_schema(
        summary="Match an unmatched or ambiguous line by hand (finance admin)",
        description="A credit to a buyer (`buyer_id`: the line becomes that buyer's payment), a debit to a "
        "statement (`statement_id`: its net must equal the amount; the statement is paid and reconciled).",
        request=BankLineMatchInput,
        responses={200: BankLineOutput, **problems(400, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"])
    def match(self, request, pk=None):
        data = BankLineMatchInput(data=request.data)
        data.is_valid(raise_exception=True)
        line = services.bank_line_match(
            line=self.get_object(), actor=actor_from_request(request).audit, **data.validated_data
        )
        return self._respond(line)

    @extend_schema(
        summary="Undo a match or an ignore (finance admin)",
        description="A credit's payment is reversed (refused with `payment_in_use` once it paid orders on a "
        "statement); a debit's statement goes back from reconciled to paid.",
        request=ReasonInput,
        responses={200: BankLineOutput, **problems(400, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"])
    def unmatch(self, request, pk=None):
        data = ReasonInput(data=request.data)
        data.is_valid(raise_exception=True)
        line = services.bank_line_unmatch(
            line=self.get_object(), actor=actor_from_request(request).audit, reason=data.validated_data["reason"]
        )
        return self._respond(line)

    @extend_schema(
        summary="Ignore a line that is no payment or payout, e.g. a bank fee (finance admin)",
        request=RequiredReasonInput,
        responses={200: BankLineOutput, **problems(400, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"])
    def ignore(self, request, pk=None):
        data = RequiredReasonInput(data=request.data)
        data.is_valid(raise_exception=True)
        line = services.bank_line_ignore(
            line=self.get_object(), actor=actor_from_request(request).audit, reason=data.validated_data["reason"]
        )
        return self._respond(line)
