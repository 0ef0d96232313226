"""Bank statement import and matching (SPEC §6, RELIABILITY REC-4).

The file is CSV with a header row: `transaction_id,booked_on,amount,counterparty_account,counterparty_name,
reference` (UTF-8 or GB18030; amount signed, positive = money in). The upload only stores it (queued); a Celery
task checks every cell, stores the lines and matches them (issue 10). Lines are unique by the bank's
transaction id, so importing a file again, or an overlapping one, adds nothing twice.
"""

from __future__ import annotations

import codecs
import csv
import re
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from functools import partial
from typing import BinaryIO

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Sum
from django.utils import timezone

from accounts.models import InsuranceFund
from accounts.selectors import organization_ids_existing
from orders.selectors import order_buyer_ids
from pharmex.actor import SYSTEM_ACTOR, Actor
from pharmex.audit import SYSTEM, audit_record
from pharmex.choices import StaffRole
from pharmex.errors import DomainError
from pharmex.files import CHUNK, file_sha256, file_size, spooled_field
from pharmex.money import MAX_AMOUNT, ZERO
from settlements.choices import BankLineStatus, BankStatementStatus, PaymentSource, StatementStatus
from settlements.errors import BankFileInvalid, BankLineMismatch, BankLineNotOpen
from settlements.models import BankLine, BankStatement, KnownBankAccount, Receivable, Refund, Statement
from settlements.references import (
    fund_payment_code_ids,
    order_numbers_in,
    payment_code_buyer_ids,
    refund_numbers_in,
    statement_numbers_in,
)
from settlements.services.allocation import BUYER, FUND, Payer
from settlements.services.funds import fund_payment_record, fund_payment_reverse
from settlements.services.payments import payment_record, payment_reverse
from settlements.services.statements import statement_pay, statement_reconcile, statement_unreconcile
from settlements.tasks import bank_statement_import_task

_PLAIN_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
_PLAIN_AMOUNT = re.compile(r"^-?[0-9]+(\.[0-9]{1,2})?$")
EARLIEST_BOOKING = date(2000, 1, 1)
COLUMNS = ("transaction_id", "booked_on", "amount", "counterparty_account", "counterparty_name", "reference")
OPEN_STATUSES = (BankLineStatus.UNMATCHED, BankLineStatus.AMBIGUOUS)
HEAD_BYTES = 64 * 1024  # the upload's first line (the header) is looked for in this much
STORE_BATCH = 5000
MATCH_BATCH = 500
NO_BUYER = "No buyer found in the reference or account."


def _encoding(path: str) -> str:
    """UTF-8 (with or without BOM), else GB18030; checked a chunk at a time, never the whole file in memory."""
    for encoding in ("utf-8-sig", "gb18030"):
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            with open(path, "rb") as raw:
                while chunk := raw.read(CHUNK):
                    decoder.decode(chunk)
                decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        return encoding
    raise BankFileInvalid("The file is neither UTF-8 nor GB18030 text.", field="file")


def _missing_columns(header: list[str] | None) -> list[str]:
    return [column for column in COLUMNS if column not in (header or [])]


def _check_header(file: BinaryIO) -> None:
    """The upload's first line names the columns (a cheap look at its start; the worker reads the rest).

    Raises: BankFileInvalid.
    """
    file.seek(0)
    head = file.read(HEAD_BYTES)
    file.seek(0)
    if b"\n" not in head and len(head) == HEAD_BYTES:
        raise BankFileInvalid("The first line, the header, is longer than 64 KiB.", field="file")
    line = head.split(b"\n", 1)[0]
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = line.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise BankFileInvalid("The file is neither UTF-8 nor GB18030 text.", field="file")
    missing = _missing_columns(next(csv.reader([text]), None))
    if missing:
        raise BankFileInvalid(f"Missing columns: {', '.join(missing)}.", field="file")


def _rows(path: str) -> Iterator[tuple[int, dict, list[dict]]]:
    """(data row number, row, its errors) for every non-blank row, read from the file as it goes; every row,
    blank ones included, counts toward BANK_STATEMENT_MAX_ROWS.

    Raises: BankFileInvalid (encoding, columns, too many rows, malformed CSV).
    """
    limit = settings.BANK_STATEMENT_MAX_ROWS
    with open(path, encoding=_encoding(path), newline="") as text:
        reader = csv.reader(text)
        try:
            header = next(reader, None)
            missing = _missing_columns(header)
            if missing:
                raise BankFileInvalid(f"Missing columns: {', '.join(missing)}.", field="file")
            index = {name: position for position, name in enumerate(header)}
            number = 0
            for physical, record in enumerate(reader, start=1):
                if physical > limit:
                    raise BankFileInvalid(
                        f"The file has more than {limit:,} rows (blank rows count too); split it into several files.",
                        field="file",
                    )
                if not record:  # a blank line, skipped as csv.DictReader skips it
                    continue
                number += 1
                row = {column: _cell(record, index[column]) for column in COLUMNS}
                yield number, row, _row_errors(number, row)
        except csv.Error as error:
            raise BankFileInvalid(f"The file is malformed: {error}.", field="file") from None


def _cell(record: list[str], position: int) -> str:
    return record[position].strip() if position < len(record) else ""


def _row_errors(number: int, row: dict) -> list[dict]:
    """Convert the row's date and amount in place; the problems of its cells."""
    errors = []
    booked_on = row["booked_on"]
    latest = timezone.localdate() + timedelta(days=31)
    try:
        if not _PLAIN_DATE.match(booked_on) or not EARLIEST_BOOKING <= date.fromisoformat(booked_on) <= latest:
            raise ValueError(booked_on)
        row["booked_on"] = date.fromisoformat(booked_on)
    except ValueError:
        errors.append(
            {
                "field": f"rows[{number}].booked_on",
                "code": "invalid",
                "message": f"Use YYYY-MM-DD, from {EARLIEST_BOOKING} to {latest}.",
            }
        )
    try:
        if not _PLAIN_AMOUNT.match(row["amount"]):  # Decimal() would take "１.００", "1_0.00" and "1e1"
            raise InvalidOperation
        amount = Decimal(row["amount"])
        if amount == ZERO or abs(amount) > MAX_AMOUNT:
            raise InvalidOperation
        row["amount"] = amount
    except InvalidOperation:
        errors.append(
            {
                "field": f"rows[{number}].amount",
                "code": "invalid",
                "message": "A non-zero amount with at most two decimal places, in ASCII digits.",
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
    return errors


def _check(path: str) -> tuple[int, Decimal]:
    """A first pass over the file: (rows, their signed total) when every cell is good.

    Raises: BankFileInvalid with every bad cell (the first 100) — nothing is stored then.
    """
    count, total, errors = 0, ZERO, []
    for number, row, row_errors in _rows(path):
        count = number
        errors.extend(row_errors)
        if not row_errors:
            total += row["amount"]
    if errors:
        raise BankFileInvalid(errors[0]["message"], errors=errors[:100])
    return count, total


@transaction.atomic
def bank_statement_upload(*, file_name: str, file: BinaryIO, actor: Actor) -> tuple[BankStatement, bool]:
    """Store a bank file for a worker to import (`bank_statement_import`, queued after commit); only its size and
    header are checked here. The same file again returns the first upload (`created` False).

    Raises: NotAParty (finance admins only), BankFileInvalid (too large, not a CSV with the columns).
    """
    actor.require_staff(StaffRole.FINANCE_ADMIN)
    size = file_size(file)
    if size > settings.BANK_STATEMENT_MAX_BYTES:  # the API refuses these before reading them
        raise BankFileInvalid(f"The file is larger than {settings.BANK_STATEMENT_MAX_BYTES} bytes.", field="file")
    digest = file_sha256(file)
    if (existing := BankStatement.objects.defer("content").filter(file_sha256=digest).first()) is not None:
        return existing, False
    _check_header(file)
    try:
        with transaction.atomic():
            statement = BankStatement.objects.create(
                file_name=file_name[:255],
                file_sha256=digest,
                file_size=size,
                content=file.read(),  # the one copy in memory: the upload itself is a temporary file
                imported_by=actor.audit.label[:255],
            )
    except IntegrityError:  # the same file uploaded concurrently: the first one stands
        return BankStatement.objects.defer("content").get(file_sha256=digest), False
    audit_record(
        actor=actor.audit,
        action="bank_statement.queued",
        object_type="bank_statement",
        object_id=statement.pk,
        changes={"file_name": file_name, "size": size, "sha256": digest},
    )
    transaction.on_commit(partial(bank_statement_import_task.delay, statement.pk))  # the worker sees it committed
    return BankStatement.objects.defer("content").get(pk=statement.pk), True


def _claim(statement_id: int) -> BankStatement | None:
    """Queued (or a re-delivered running) statement → running; a finished one is left alone (idempotent task)."""
    claimed = BankStatement.objects.filter(
        pk=statement_id, status__in=[BankStatementStatus.QUEUED, BankStatementStatus.RUNNING]
    ).update(status=BankStatementStatus.RUNNING, started_at=timezone.now())
    return BankStatement.objects.defer("content").get(pk=statement_id) if claimed else None


def bank_statement_import(*, statement_id: int) -> BankStatement | None:
    """The task body: check every cell of the stored file, store its new lines, match them, then forget the file.
    A bad file fails the statement with its errors and stores nothing. Safe to run twice: the lines are unique
    by transaction id, matching skips matched lines, and a finished statement is left alone."""
    statement = _claim(statement_id)
    if statement is None:
        return None
    row = BankStatement.objects.filter(pk=statement.pk)
    try:
        with spooled_field(row, "content", statement.file_size, suffix=".csv") as file:
            count, total = _check(file.name)
            _store_lines(statement, file.name)
    except BankFileInvalid as error:
        errors = error.errors or [{"field": error.field, "code": error.code, "message": str(error.detail)}]
        row.update(
            status=BankStatementStatus.FAILED,
            message=str(error.detail)[:500],
            errors=errors,
            content=b"",
            finished_at=timezone.now(),
        )
        _audit(statement, "bank_statement.failed", {"message": str(error.detail)[:500]})
        return BankStatement.objects.defer("content").get(pk=statement.pk)
    stored = statement.lines.aggregate(n=Count("id"), total=Sum("amount"))
    row.update(
        line_count=stored["n"],
        file_total=stored["total"] or ZERO,
        duplicate_count=count - stored["n"],
        duplicate_total=total - (stored["total"] or ZERO),
    )
    _match_lines(statement)
    row.update(status=BankStatementStatus.IMPORTED, content=b"", finished_at=timezone.now())
    statement = BankStatement.objects.defer("content").get(pk=statement.pk)
    _audit(
        statement, "bank_statement.imported", {"lines": statement.line_count, "duplicates": statement.duplicate_count}
    )
    return statement


@transaction.atomic
def _store_lines(statement: BankStatement, path: str) -> None:
    """The second pass: the file's lines in batches. ignore_conflicts: a line already imported (this file twice,
    overlapping files, a concurrent import) is kept once, under the import that stored it first; within the
    file, its first occurrence."""
    batch: list[BankLine] = []
    for _number, row, _errors in _rows(path):
        batch.append(
            BankLine(
                statement=statement,
                transaction_id=row["transaction_id"],
                booked_on=row["booked_on"],
                amount=row["amount"],
                counterparty_account=row["counterparty_account"][:40],
                counterparty_name=row["counterparty_name"][:200],
                reference=row["reference"][:300],
            )
        )
        if len(batch) == STORE_BATCH:
            BankLine.objects.bulk_create(batch, ignore_conflicts=True)
            batch = []
    BankLine.objects.bulk_create(batch, ignore_conflicts=True)


def _match_lines(statement: BankStatement) -> None:
    """Match the statement's open lines, a batch per transaction (locks are held for a batch, not the file). A
    line whose match a business rule refuses stays open, with the refusal as its note, for a person."""
    line_ids = list(statement.lines.filter(status__in=OPEN_STATUSES).order_by("id").values_list("id", flat=True))
    for start in range(0, len(line_ids), MATCH_BATCH):
        with transaction.atomic():
            for line_id in line_ids[start : start + MATCH_BATCH]:
                bank_line_match_tried(line_id=line_id, actor=SYSTEM_ACTOR)


def _audit(statement: BankStatement, action: str, changes: dict) -> None:
    with transaction.atomic():
        audit_record(
            actor=SYSTEM,
            action=action,
            object_type="bank_statement",
            object_id=statement.pk,
            changes={"file_name": statement.file_name, "uploaded_by": statement.imported_by, **changes},
        )


def _credit_funds(line: BankLine) -> set[int]:
    """Medical insurance funds a credit comes from: a fund payment code (PXF…) in the reference, or the fund's
    registered bank account. Order numbers in the reference then say which of the fund's dues it pays first."""
    funds = set(InsuranceFund.objects.filter(pk__in=fund_payment_code_ids(line.reference)).values_list("pk", flat=True))
    if line.counterparty_account:
        funds |= set(
            InsuranceFund.objects.filter(bank_account_number=line.counterparty_account).values_list("pk", flat=True)
        )
    return funds


def _credit_buyers(line: BankLine) -> set[int]:
    """Buyers a credit comes from: a payment code (PXB…) in the reference, or a known account number."""
    buyers = organization_ids_existing(ids=codes) if (codes := payment_code_buyer_ids(line.reference)) else set()
    if line.counterparty_account:
        buyers |= set(
            KnownBankAccount.objects.filter(account_number=line.counterparty_account).values_list(
                "organization_id", flat=True
            )
        )
    return buyers


def _named_order_payers(numbers: list[str]) -> tuple[set[int], set[int]]:
    """Who a transfer naming these orders may come from: (buyers, medical insurance funds). While no fund's part of
    them is open, their buyers, as ever (a prepayment, a late second transfer); else whoever still owes a part."""
    owing = Receivable.objects.filter(order__number__in=numbers, reversed_at__isnull=True, paid_at__isnull=True)
    funds = set(owing.filter(fund_allocated__lt=F("fund_gross")).values_list("fund_id", flat=True))
    if not funds:
        return order_buyer_ids(numbers=numbers), set()
    return set(owing.filter(allocated__lt=F("gross") - F("fund_gross")).values_list("buyer_id", flat=True)), funds


def _credit_payer(line: BankLine) -> tuple[Payer | None, list[int], str]:
    """Whose money a credit is: the payer, its candidates (one: the line is matched to it) and the note for a line
    left open. No payer: a finance admin decides.

    A fund's code or account decides for the fund, a buyer's code or account for the buyer. A line naming orders
    only pays whoever still owes them: when their open parts are a fund's alone (under 医保基金直接结算 the buyer
    paid its own part, or had none) the money is the fund's, never the hospital's credit; when a buyer and a fund
    both still owe, the amount cannot tell whose it is.
    """
    if funds := _credit_funds(line):
        return FUND, sorted(funds), "Several funds fit."
    named = order_numbers_in(line.reference)
    if buyers := _credit_buyers(line):
        return BUYER, sorted(buyers | order_buyer_ids(numbers=named)), "Several buyers fit the reference."
    buyers, funds = _named_order_payers(named)
    if funds and buyers:
        return None, sorted(buyers), "The named orders are owed by their buyer and by a medical insurance fund."
    if funds:
        return FUND, sorted(funds), "The named orders are owed by several medical insurance funds."
    return BUYER, sorted(buyers), "Several buyers fit the reference." if buyers else NO_BUYER


def _debit_statements(line: BankLine) -> tuple[list[Statement], int]:
    """(statements named in the reference whose payout this exact amount can be, statements named at all)."""
    named = list(Statement.objects.filter(number__in=statement_numbers_in(line.reference)).order_by("id"))
    fitting = [s for s in named if _awaits_payout(line, s)]
    return fitting, len(named)


def _debit_refunds(line: BankLine) -> list[Refund]:
    """Refunds named in the debit's reference, of exactly its amount, not matched yet (SPEC §6)."""
    numbers = refund_numbers_in(line.reference)
    if not numbers:
        return []
    return list(
        Refund.objects.filter(number__in=numbers, amount=-line.amount, currency=line.currency, bank_line__isnull=True)
        .order_by("id")
        .select_for_update()
    )


def _match_refund(line: BankLine, refund: Refund) -> None:
    refund.bank_line = line
    refund.save(update_fields=["bank_line"])
    line.status, line.candidates = BankLineStatus.MATCHED, [refund.pk]


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


def _match_fund_credit(line: BankLine, fund_id: int, actor: Actor) -> None:
    payment = fund_payment_record(
        fund_id=fund_id,
        amount=line.amount,
        value_date=line.booked_on,
        actor=actor,
        reference=line.reference,
        source=PaymentSource.BANK,
        currency=line.currency,
    )
    line.fund_payment, line.status, line.candidates = payment, BankLineStatus.MATCHED, [fund_id]


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


def bank_line_match_tried(*, line_id: int, actor: Actor) -> bool:
    """Try to match one open line automatically; whether it matched. A line whose match a business rule refuses
    stays open with the refusal as its note, for a person, and is stamped as tried like any other (the rematch
    job takes the lines tried longest ago first)."""
    try:
        return bank_line_match_auto(line_id=line_id, actor=actor).status == BankLineStatus.MATCHED
    except DomainError as error:  # its transaction or savepoint rolled back
        BankLine.objects.filter(pk=line_id).update(note=str(error.detail)[:500], updated_at=timezone.now())
        return False


@transaction.atomic
def bank_line_match_auto(*, line_id: int, actor: Actor) -> BankLine:
    """Match one open line by its reference and counterparty; leaves it unmatched or ambiguous otherwise."""
    line = BankLine.objects.select_for_update().get(pk=line_id)
    if line.status not in OPEN_STATUSES:
        return line
    if line.is_credit:
        payer, candidates, note = _credit_payer(line)
        if payer is not None and len(candidates) == 1:
            (_match_fund_credit if payer is FUND else _match_credit)(line, candidates[0], actor)
        else:
            line.status = BankLineStatus.AMBIGUOUS if candidates else BankLineStatus.UNMATCHED
            line.candidates, line.note = candidates, note
    elif refunds := _debit_refunds(line):
        if len(refunds) == 1:
            _match_refund(line, refunds[0])
        else:
            line.status, line.candidates = BankLineStatus.AMBIGUOUS, [r.pk for r in refunds]
            line.note = "Several refunds fit."
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
    *,
    line: BankLine,
    actor: Actor,
    buyer_id: int | None = None,
    statement_id: int | None = None,
    fund_id: int | None = None,
) -> BankLine:
    """A finance admin matches an open line by hand: a credit to a buyer or a medical insurance fund, a debit to a
    statement's payout.

    Raises: NotAParty (finance admins only), BankLineNotOpen, BankLineMismatch, NotABuyer, NotAFund.
    """
    actor.require_staff(StaffRole.FINANCE_ADMIN)
    line = BankLine.objects.select_for_update().get(pk=line.pk)
    if line.status not in OPEN_STATUSES:
        raise BankLineNotOpen()
    if line.is_credit:
        if (buyer_id is None) == (fund_id is None) or statement_id is not None:
            raise BankLineMismatch(
                "A credit is matched to a buyer or a medical insurance fund: send buyer_id or fund_id.",
                field="buyer_id",
            )
        if fund_id is not None:
            _match_fund_credit(line, fund_id, actor)
        else:
            _match_credit(line, buyer_id, actor)
    else:
        if statement_id is None or buyer_id is not None or fund_id is not None:
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
        changes={"buyer_id": buyer_id, "statement_id": statement_id, "fund_id": fund_id},
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
        if line.fund_payment is not None:
            fund_payment, line.fund_payment = line.fund_payment, None
            line.save(update_fields=["fund_payment"])
            fund_payment_reverse(
                payment=fund_payment, actor=actor, reason=reason or f"Bank line {line.transaction_id} unmatched"
            )
        if line.payout is not None:
            statement, line.payout = line.payout.statement, None
            line.save(update_fields=["payout"])
            if statement.status == StatementStatus.RECONCILED:
                statement_unreconcile(statement=statement, actor=actor, note=reason)
        Refund.objects.filter(bank_line=line).update(bank_line=None)  # the refund awaits its bank line again
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
    """Job: try again the `batch` open lines tried longest ago (a new known account or an approved statement may now
    fit them). A try stamps the line's `updated_at`, refused or not, so successive runs go round every open line
    however many there are (by id, they tried the same first `batch` for ever)."""
    lines = BankLine.objects.filter(status__in=OPEN_STATUSES).order_by("updated_at", "id")
    return sum(
        bank_line_match_tried(line_id=line_id, actor=actor) for line_id in lines.values_list("id", flat=True)[:batch]
    )
