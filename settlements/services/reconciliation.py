"""Bank statement import and matching (SPEC §6, RELIABILITY REC-4).

The file is CSV with a header row: `transaction_id,booked_on,amount,counterparty_account,counterparty_name,
reference` (UTF-8 or GB18030; amount signed, positive = money in). Lines are unique by the bank's
transaction id, so importing a file again, or an overlapping one, adds nothing twice.
"""

from __future__ import annotations

import csv
import hashlib
import io
from datetime import date
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Sum

from accounts.selectors import organization_ids_existing
from orders.selectors import order_buyer_ids
from pharmex.actor import Actor
from pharmex.audit import audit_record
from pharmex.choices import StaffRole
from pharmex.money import ZERO, quantize
from settlements.choices import BankLineStatus, PaymentSource, StatementStatus
from settlements.errors import BankFileInvalid, BankLineMismatch, BankLineNotOpen
from settlements.models import BankLine, BankStatement, KnownBankAccount, Statement
from settlements.references import order_numbers_in, payment_code_buyer_ids, statement_numbers_in
from settlements.services.payments import payment_record, payment_reverse
from settlements.services.statements import statement_pay, statement_reconcile, statement_unreconcile

COLUMNS = ("transaction_id", "booked_on", "amount", "counterparty_account", "counterparty_name", "reference")
OPEN_STATUSES = (BankLineStatus.UNMATCHED, BankLineStatus.AMBIGUOUS)


def _decode(content: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise BankFileInvalid("The file is neither UTF-8 nor GB18030 text.")


def _parse(content: bytes) -> list[dict]:
    """Rows as dicts; every bad cell is reported at once. Raises: BankFileInvalid."""
    if len(content) > settings.BANK_STATEMENT_MAX_BYTES:
        raise BankFileInvalid(f"The file is larger than {settings.BANK_STATEMENT_MAX_BYTES} bytes.")
    reader = csv.DictReader(io.StringIO(_decode(content)))
    missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise BankFileInvalid(f"Missing columns: {', '.join(missing)}.", field="file")
    rows, errors = [], []
    for number, raw in enumerate(reader, start=1):
        row = {column: (raw.get(column) or "").strip() for column in COLUMNS}
        try:
            row["booked_on"] = date.fromisoformat(row["booked_on"])
        except ValueError:
            errors.append({"field": f"rows[{number}].booked_on", "code": "invalid", "message": "Use YYYY-MM-DD."})
        try:
            amount = Decimal(row["amount"])
            if amount == ZERO or quantize(amount) != amount:
                raise InvalidOperation
            row["amount"] = amount
        except InvalidOperation:
            errors.append(
                {
                    "field": f"rows[{number}].amount",
                    "code": "invalid",
                    "message": "A non-zero amount with at most two decimal places.",
                }
            )
        if not row["transaction_id"] or len(row["transaction_id"]) > 64:
            errors.append(
                {
                    "field": f"rows[{number}].transaction_id",
                    "code": "invalid",
                    "message": "Each line needs the bank's transaction id (at most 64 characters).",
                }
            )
        rows.append(row)
    if errors:
        raise BankFileInvalid(errors[0]["message"], errors=errors[:100])
    return rows


@transaction.atomic
def bank_statement_import(*, file_name: str, content: bytes, actor: Actor) -> tuple[BankStatement, bool]:
    """Store a bank file's new lines and match them; the same file again returns the first import.

    Raises: NotAParty (finance admins only), BankFileInvalid (nothing is stored).
    """
    actor.require_staff(StaffRole.FINANCE_ADMIN)
    digest = hashlib.sha256(content).hexdigest()
    if (existing := BankStatement.objects.filter(file_sha256=digest).first()) is not None:
        return existing, False
    rows = _parse(content)
    statement = BankStatement.objects.create(
        file_name=file_name[:255], file_sha256=digest, imported_by=actor.audit.label[:255]
    )
    # ignore_conflicts: a line already imported (this file twice, overlapping files, a concurrent import)
    # is kept once, under the import that stored it first; within the file, its first occurrence.
    first_rows: dict[str, dict] = {}
    for row in rows:
        first_rows.setdefault(row["transaction_id"], row)
    BankLine.objects.bulk_create(
        [
            BankLine(
                statement=statement,
                transaction_id=row["transaction_id"],
                booked_on=row["booked_on"],
                amount=row["amount"],
                counterparty_account=row["counterparty_account"][:40],
                counterparty_name=row["counterparty_name"][:200],
                reference=row["reference"][:300],
            )
            for row in first_rows.values()
        ],
        ignore_conflicts=True,
    )
    stored = statement.lines.aggregate(n=Count("id"), total=Sum("amount"))
    statement.line_count = stored["n"]
    statement.file_total = stored["total"] or ZERO
    statement.duplicate_count = len(rows) - stored["n"]
    statement.duplicate_total = sum((row["amount"] for row in rows), ZERO) - statement.file_total
    statement.save()
    audit_record(
        actor=actor.audit,
        action="bank_statement.imported",
        object_type="bank_statement",
        object_id=statement.pk,
        changes={"file_name": file_name, "lines": statement.line_count, "duplicates": statement.duplicate_count},
    )
    for line_id in statement.lines.order_by("id").values_list("id", flat=True):
        bank_line_match_auto(line_id=line_id, actor=actor)
    return statement, True


def _credit_buyers(line: BankLine) -> set[int]:
    """Buyers a credit could come from: named orders, payment codes, a known account number."""
    buyers = order_buyer_ids(numbers=order_numbers_in(line.reference))
    codes = payment_code_buyer_ids(line.reference)
    if codes:
        buyers |= organization_ids_existing(ids=codes)
    if line.counterparty_account:
        buyers |= set(
            KnownBankAccount.objects.filter(account_number=line.counterparty_account).values_list(
                "organization_id", flat=True
            )
        )
    return buyers


def _debit_statements(line: BankLine) -> tuple[list[Statement], int]:
    """(statements named in the reference whose payout this exact amount can be, statements named at all)."""
    named = list(Statement.objects.filter(number__in=statement_numbers_in(line.reference)).order_by("id"))
    fitting = [s for s in named if _awaits_payout(line, s)]
    return fitting, len(named)


def _match_credit(line: BankLine, buyer_id: int, actor: Actor) -> None:
    payment = payment_record(
        buyer_id=buyer_id,
        amount=line.amount,
        value_date=line.booked_on,
        actor=actor,
        reference=line.reference,
        source=PaymentSource.BANK,
        currency=line.currency,
    )
    line.payment, line.status, line.candidates = payment, BankLineStatus.MATCHED, [buyer_id]


def _match_debit(line: BankLine, statement: Statement, actor: Actor) -> None:
    if statement.status == StatementStatus.APPROVED:
        statement = statement_pay(
            statement=statement,
            actor=actor,
            amount=-line.amount,
            bank_reference=line.transaction_id,
            paid_on=line.booked_on,
        )
    statement_reconcile(statement=statement, actor=actor, note=f"Bank line {line.transaction_id}")
    line.payout, line.status, line.candidates = statement.payout, BankLineStatus.MATCHED, [statement.pk]


@transaction.atomic
def bank_line_match_auto(*, line_id: int, actor: Actor) -> BankLine:
    """Match one open line by its reference and counterparty; leaves it unmatched or ambiguous otherwise."""
    line = BankLine.objects.select_for_update().get(pk=line_id)
    if line.status not in OPEN_STATUSES:
        return line
    if line.is_credit:
        buyers = sorted(_credit_buyers(line))
        if len(buyers) == 1:
            _match_credit(line, buyers[0], actor)
        else:
            line.status = BankLineStatus.AMBIGUOUS if buyers else BankLineStatus.UNMATCHED
            line.candidates = buyers
            line.note = "Several buyers fit the reference." if buyers else "No buyer found in the reference or account."
    else:
        fitting, named = _debit_statements(line)
        if len(fitting) == 1:
            _match_debit(line, fitting[0], actor)
        else:
            line.status = BankLineStatus.AMBIGUOUS if fitting else BankLineStatus.UNMATCHED
            line.candidates = [s.pk for s in fitting]
            line.note = (
                "Several statements fit."
                if fitting
                else "No open statement with this exact amount."
                if named
                else "No statement number in the reference."
            )
    if line.status == BankLineStatus.MATCHED:
        line.note, line.matched_by = "", actor.audit.label[:255]
    line.save()
    return line


@transaction.atomic
def bank_line_match(
    *, line: BankLine, actor: Actor, buyer_id: int | None = None, statement_id: int | None = None
) -> BankLine:
    """A finance admin matches an open line by hand: a credit to a buyer, a debit to a statement's payout.

    Raises: NotAParty (finance admins only), BankLineNotOpen, BankLineMismatch, NotABuyer.
    """
    actor.require_staff(StaffRole.FINANCE_ADMIN)
    line = BankLine.objects.select_for_update().get(pk=line.pk)
    if line.status not in OPEN_STATUSES:
        raise BankLineNotOpen()
    if line.is_credit:
        if buyer_id is None or statement_id is not None:
            raise BankLineMismatch("A credit is matched to a buyer: send buyer_id.", field="buyer_id")
        _match_credit(line, buyer_id, actor)
    else:
        if statement_id is None or buyer_id is not None:
            raise BankLineMismatch("A debit is matched to a statement: send statement_id.", field="statement_id")
        statement = Statement.objects.filter(pk=statement_id).first()
        if statement is None or not _awaits_payout(line, statement):
            raise BankLineMismatch(
                "The statement is not awaiting a payout of exactly this amount.", field="statement_id"
            )
        _match_debit(line, statement, actor)
    line.note, line.matched_by = "", actor.audit.label[:255]
    line.save()
    audit_record(
        actor=actor.audit,
        action="bank_line.matched",
        object_type="bank_line",
        object_id=line.pk,
        changes={"buyer_id": buyer_id, "statement_id": statement_id},
    )
    return line


def _awaits_payout(line: BankLine, statement: Statement) -> bool:
    """Whether this debit can be the statement's payout: its exact net, approved or paid but not yet matched."""
    if statement.net != -line.amount:
        return False
    if statement.status == StatementStatus.APPROVED:
        return True
    return (
        statement.status == StatementStatus.PAID and not BankLine.objects.filter(payout__statement=statement).exists()
    )


@transaction.atomic
def bank_line_unmatch(*, line: BankLine, actor: Actor, reason: str = "") -> BankLine:
    """Undo a match (or an ignore): a credit's payment is reversed; a debit's statement goes back to paid.

    Raises: NotAParty (finance admins only), PaymentInUse when the payment already paid orders on a statement.
    """
    actor.require_staff(StaffRole.FINANCE_ADMIN)
    line = BankLine.objects.select_for_update().get(pk=line.pk)
    if line.status == BankLineStatus.MATCHED:
        if line.payment is not None:
            payment, line.payment = line.payment, None
            line.save(update_fields=["payment"])
            payment_reverse(payment=payment, actor=actor, reason=reason or f"Bank line {line.transaction_id} unmatched")
        if line.payout is not None:
            statement, line.payout = line.payout.statement, None
            line.save(update_fields=["payout"])
            if statement.status == StatementStatus.RECONCILED:
                statement_unreconcile(statement=statement, actor=actor, note=reason)
    line.status, line.candidates, line.note, line.matched_by = BankLineStatus.UNMATCHED, [], reason[:500], ""
    line.save()
    audit_record(
        actor=actor.audit,
        action="bank_line.unmatched",
        object_type="bank_line",
        object_id=line.pk,
        changes={"reason": reason},
    )
    return line


@transaction.atomic
def bank_line_ignore(*, line: BankLine, actor: Actor, reason: str) -> BankLine:
    """Set aside a line that is not a buyer payment or payout (bank fees, interest).

    Raises: NotAParty (finance admins only), BankLineNotOpen.
    """
    actor.require_staff(StaffRole.FINANCE_ADMIN)
    line = BankLine.objects.select_for_update().get(pk=line.pk)
    if line.status not in OPEN_STATUSES:
        raise BankLineNotOpen()
    line.status, line.note, line.matched_by = BankLineStatus.IGNORED, reason[:500], actor.audit.label[:255]
    line.save()
    audit_record(
        actor=actor.audit,
        action="bank_line.ignored",
        object_type="bank_line",
        object_id=line.pk,
        changes={"reason": reason},
    )
    return line


def bank_lines_rematch(*, actor: Actor, batch: int = 1000) -> int:
    """Job: try the open lines again (a new known account or an approved statement may now fit them)."""
    matched = 0
    for line_id in (
        BankLine.objects.filter(status__in=OPEN_STATUSES).order_by("id").values_list("id", flat=True)[:batch]
    ):
        if bank_line_match_auto(line_id=line_id, actor=actor).status == BankLineStatus.MATCHED:
            matched += 1
    return matched
