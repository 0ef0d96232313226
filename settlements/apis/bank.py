from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.parsers import MultiPartParser

from api_docs.responses import problems
from pharmex.api.idempotency import idempotent
from pharmex.api.pagination import OldestFirstCursorPagination, PagePagination
from pharmex.api.permissions import Staff
from pharmex.api.serializers import ReasonInput, RequiredReasonInput
from pharmex.api.uploads import UploadViewMixin
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
    list=extend_schema(summary="List uploaded bank statements and their import status (staff)"),
    retrieve=extend_schema(
        summary="A bank statement's status and per-status counts and sums (staff)",
        description="The lines are not embedded: page through them with "
        "`GET /api/v1/bank-statements/lines/?statement={id}` (add `&status=unmatched` for the exceptions).",
        responses={200: BankStatementDetailOutput, **problems(403, 404)},
    ),
)
@extend_schema(tags=["bank-statements"])
class BankStatementViewSet(UploadViewMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    serializer_class = BankStatementOutput
    pagination_class = PagePagination
    lookup_value_regex = r"\d+"
    policies = {"list": STAFF, "retrieve": STAFF, "create": FINANCE_ADMIN}
    upload_limits = {"create": "BANK_STATEMENT_MAX_BYTES"}  # larger uploads: 413 before they are read

    def get_queryset(self):
        return selectors.bank_statement_list(actor=self.actor)

    def get_parsers(self):
        if self.request is not None and self.request.method == "POST":
            return [MultiPartParser()]
        return super().get_parsers()

    def retrieve(self, request, *args, **kwargs):
        return self.respond(BankStatementDetailOutput, self.get_object())

    @extend_schema(
        summary="Upload a bank statement (finance admin); answers 202, a worker imports and matches its lines",
        description=CSV_FORMAT + " The request only stores the file (a body over `BANK_STATEMENT_MAX_BYTES` is "
        "refused with 413 `payload-too-large` before it is read; a missing column with 400 `bank-file-invalid`) and "
        "answers 202 with the statement `queued` and its `Location`; poll it until `imported` or `failed` (`errors` "
        "lists every bad cell; nothing is stored then). Every row counts toward `BANK_STATEMENT_MAX_ROWS`, blank "
        "ones included. Lines are unique by `transaction_id`: the same file again answers 200 with the first "
        "upload, an overlapping file adds only its new lines. Credits naming order numbers, a buyer payment code "
        "(`PXB` + buyer id) or coming from a known account become payments; debits naming a statement number with "
        "its exact net confirm that statement's payout.",
        request={"multipart/form-data": BankStatementUploadInput},
        responses={202: BankStatementDetailOutput, 200: BankStatementDetailOutput, **problems(400, 403, 413)},
    )
    @idempotent
    def create(self, request, *args, **kwargs):
        upload = self.parse(BankStatementUploadInput)["file"]
        statement, created = services.bank_statement_upload(file_name=upload.name, file=upload, actor=self.actor)
        return self.respond(
            BankStatementDetailOutput,
            statement,
            status=status.HTTP_202_ACCEPTED if created else status.HTTP_200_OK,
            headers={"Location": request.build_absolute_uri(f"{statement.pk}/")},
        )


@extend_schema_view(
    list=extend_schema(
        summary="List bank lines, e.g. the exceptions queue `?status=unmatched` (staff), oldest first",
        description="Cursor-paginated in the order the lines arrived: a statement's (`?statement=`) in file order.",
    ),
    retrieve=extend_schema(summary="Retrieve a bank line (staff)"),
)
@extend_schema(tags=["bank-statements"])
class BankLineViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    serializer_class = BankLineOutput
    pagination_class = OldestFirstCursorPagination
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
        description="A credit to a buyer (`buyer_id`: the line becomes that buyer's payment) or to a medical "
        "insurance fund (`fund_id`: the line becomes the fund's payment, which pays the fund's part of orders only), "
        "a debit to a statement (`statement_id`: its net must equal the amount; the statement is paid and "
        "reconciled).",
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
