from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.parsers import MultiPartParser

from api_docs.responses import problems
from pharmex.api.idempotency import idempotent
from pharmex.api.pagination import PagePagination
from pharmex.api.permissions import Staff
from pharmex.api.serializers import ReasonInput, RequiredReasonInput
from pharmex.api.views import ApiViewSet
from pharmex.choices import StaffRole
from settlements import selectors, services
from settlements.filters import BankLineFilter
from settlements.models import BankLine
from settlements.serializers import (
    BankLineMatchInput,
    BankLineOutput,
    BankStatementDetailOutput,
    BankStatementOutput,
    BankStatementUploadInput,
)

STAFF, FINANCE_ADMIN = Staff(), Staff(StaffRole.FINANCE_ADMIN)
CSV_FORMAT = (
    "CSV with a header row: `transaction_id,booked_on,amount,counterparty_account,counterparty_name,reference` "
    "(UTF-8 or GB18030; `amount` signed, positive = money in, two decimals at most; `booked_on` YYYY-MM-DD)."
)


@extend_schema_view(
    list=extend_schema(summary="List imported bank statements (staff)"),
    retrieve=extend_schema(summary="Retrieve a bank statement with its lines and per-status sums (staff)"),
)
@extend_schema(tags=["bank-statements"])
class BankStatementViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    serializer_class = BankStatementOutput
    pagination_class = PagePagination
    lookup_value_regex = r"\d+"
    policies = {"list": STAFF, "retrieve": STAFF, "create": FINANCE_ADMIN}

    def get_queryset(self):
        queryset = selectors.bank_statement_list(actor=self.actor)
        if self.action == "retrieve":
            queryset = queryset.prefetch_related("lines__payout")
        return queryset

    def get_parsers(self):
        if self.request is not None and self.request.method == "POST":
            return [MultiPartParser()]
        return super().get_parsers()

    def retrieve(self, request, *args, **kwargs):
        return self.respond(BankStatementDetailOutput, self.get_object())

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
        upload = self.parse(BankStatementUploadInput)["file"]
        statement, created = services.bank_statement_import(
            file_name=upload.name, content=upload.read(), actor=self.actor
        )
        return self.respond(
            BankStatementDetailOutput,
            self.get_queryset().get(pk=statement.pk),
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


@extend_schema_view(
    list=extend_schema(summary="List bank lines, e.g. the exceptions queue `?status=unmatched` (staff)"),
    retrieve=extend_schema(summary="Retrieve a bank line (staff)"),
)
@extend_schema(tags=["bank-statements"])
class BankLineViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    serializer_class = BankLineOutput
    pagination_class = PagePagination
    filterset_class = BankLineFilter
    policies = {
        "list": STAFF,
        "retrieve": STAFF,
        "match": FINANCE_ADMIN,
        "unmatch": FINANCE_ADMIN,
        "ignore": FINANCE_ADMIN,
    }

    def get_queryset(self):
        return selectors.bank_line_list(actor=self.actor)

    def _respond(self, line: BankLine):
        return self.respond(BankLineOutput, self.get_queryset().get(pk=line.pk))

    @extend_schema(
        summary="Match an unmatched or ambiguous line by hand (finance admin)",
        description="A credit to a buyer (`buyer_id`: the line becomes that buyer's payment), a debit to a "
        "statement (`statement_id`: its net must equal the amount; the statement is paid and reconciled).",
        request=BankLineMatchInput,
        responses={200: BankLineOutput, **problems(400, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"])
    def match(self, request, pk=None):
        line = services.bank_line_match(line=self.get_object(), actor=self.actor, **self.parse(BankLineMatchInput))
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
        line = services.bank_line_unmatch(line=self.get_object(), actor=self.actor, **self.parse(ReasonInput))
        return self._respond(line)

    @extend_schema(
        summary="Ignore a line that is no payment or payout, e.g. a bank fee (finance admin)",
        request=RequiredReasonInput,
        responses={200: BankLineOutput, **problems(400, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"])
    def ignore(self, request, pk=None):
        line = services.bank_line_ignore(line=self.get_object(), actor=self.actor, **self.parse(RequiredReasonInput))
        return self._respond(line)
