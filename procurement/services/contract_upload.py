"""Uploading 集采 results (SPEC §5a): platform admins load a procurement result as CSV or XLSX, one row per
institution (long format, as the provincial platforms publish them):

    programme, drug_id | approval_number, supplier_id | supplier_uscc, agreed_price, valid_from, valid_until,
    institution_id | institution_uscc, annual_volume[, settlement_fund_id]

(Chinese headers work too: ALIASES). Rows with the same programme, drug and period make one contract, and must
agree on the winner, the agreed price and the medical insurance fund that settles directly (医保基金直接结算:
the optional settlement_fund_id column; empty, the institutions pay).

The file is validated whole: every problem of every row is reported (`rows[N].column`, N the spreadsheet row)
and nothing is written unless there is none. Then everything is written in one transaction.

A re-upload is idempotent: a contract of the same programme, drug and period with the same winner, price and fund
is kept and its volumes updated (institutions named get the file's volume; others keep theirs: a volume is removed
in the admin site). One with another winner, price or settling fund is refused (`contract_conflict`): a result is
corrected in the admin site, not by loading a second one over it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import BinaryIO

from django.db import transaction
from django.utils.translation import gettext as _

from accounts.choices import MEDICAL_INSTITUTION_KINDS
from accounts.models import InsuranceFund, Organization
from accounts.validators import normalize_uscc
from catalog.models import Drug
from catalog.tabular import CellError, cell, date_cell, decimal_cell, header_map, int_cell, text_cell
from catalog.validators import normalize_code
from pharmex.actor import Actor
from pharmex.audit import audit_record
from pharmex.db import advisory_xact_lock
from pharmex.errors import InvalidInput
from pharmex.money import MAX_QUANTITY, MAX_UNIT_PRICE
from procurement.models import ContractVolume, ProcurementContract
from procurement.notifications import announce_contract, announce_contract_volumes
from procurement.services.plans import read_upload, refuse_file

RESULT_MAX_ROWS = 20_000  # a province's result: a few hundred institutions for each of a few dozen drugs
MAX_REPORTED_ERRORS = 1000
MAX_VOLUME = MAX_QUANTITY * 100
ALIASES = {
    "集采项目": "programme",
    "采购项目": "programme",
    "项目名称": "programme",
    "药品id": "drug_id",
    "药品编号": "drug_id",
    "批准文号": "approval_number",
    "中选企业id": "supplier_id",
    "中选企业编号": "supplier_id",
    "中选企业统一社会信用代码": "supplier_uscc",
    "中选价格": "agreed_price",
    "中选价": "agreed_price",
    "协议价格": "agreed_price",
    "开始日期": "valid_from",
    "执行开始日期": "valid_from",
    "协议期开始": "valid_from",
    "结束日期": "valid_until",
    "执行结束日期": "valid_until",
    "协议期结束": "valid_until",
    "医疗机构id": "institution_id",
    "医疗机构编号": "institution_id",
    "医疗机构统一社会信用代码": "institution_uscc",
    "约定采购量": "annual_volume",
    "协议采购量": "annual_volume",
    "年度约定采购量": "annual_volume",
    "医保基金id": "settlement_fund_id",
    "医保基金编号": "settlement_fund_id",
    "结算基金id": "settlement_fund_id",
}
# Each required column, or its alternatives (an id, or the code people have in their spreadsheets).
REQUIRED = (
    ("programme",),
    ("drug_id", "approval_number"),
    ("supplier_id", "supplier_uscc"),
    ("agreed_price",),
    ("valid_from",),
    ("valid_until",),
    ("institution_id", "institution_uscc"),
    ("annual_volume",),
)


@dataclass
class ResultRow:
    row: int
    values: dict = field(default_factory=dict)
    drug: Drug | None = None
    supplier: Organization | None = None
    institution: Organization | None = None
    fund: InsuranceFund | None = None

    def key(self) -> tuple:
        return (self.values["programme"], self.drug.pk, self.values["valid_from"], self.values["valid_until"])


@dataclass
class ContractUpload:
    contract: ProcurementContract
    created: bool
    volumes_created: int = 0
    volumes_updated: int = 0
    volumes_unchanged: int = 0


@dataclass
class ResultUpload:
    rows: int
    contracts: list[ContractUpload]


class _Errors(list):
    def __init__(self) -> None:
        super().__init__()
        self.rows: set[int] = set()

    def add(self, row: int, column: str, code: str, message: str) -> None:
        self.rows.add(row)
        self.append({"field": f"rows[{row}].{column}", "code": code, "message": message, "_row": row})

    def listed(self) -> list[dict]:
        """Row by row, each row's problems in the order found."""
        return [{k: v for k, v in e.items() if k != "_row"} for e in sorted(self, key=lambda e: e["_row"])]


_PARSERS = {
    "programme": lambda value: text_cell(value, max_length=200),
    "drug_id": lambda value: int_cell(value, minimum=1, maximum=2**63 - 1),
    "approval_number": lambda value: normalize_code(text_cell(value, max_length=32)),
    "supplier_id": lambda value: int_cell(value, minimum=1, maximum=2**63 - 1),
    "supplier_uscc": lambda value: normalize_uscc(text_cell(value, max_length=18)),
    "agreed_price": lambda value: decimal_cell(value),
    "valid_from": date_cell,
    "valid_until": date_cell,
    "institution_id": lambda value: int_cell(value, minimum=1, maximum=2**63 - 1),
    "institution_uscc": lambda value: normalize_uscc(text_cell(value, max_length=18)),
    "annual_volume": lambda value: int_cell(value, minimum=1, maximum=MAX_VOLUME),
    "settlement_fund_id": lambda value: int_cell(value, minimum=1, maximum=2**63 - 1),
}


def _parse(number: int, cells: list, columns: dict[str, int], errors: _Errors) -> ResultRow:
    row, given = ResultRow(row=number), set()
    for name, parse in _PARSERS.items():
        value = cell(cells, columns, name)
        if value is None:
            continue
        given.add(name)
        try:
            row.values[name] = parse(value)
        except CellError as error:
            errors.add(number, name, "invalid", str(error))
    for alternatives in REQUIRED:
        if given.isdisjoint(alternatives):
            errors.add(number, alternatives[0], "required", _("This column is required."))
    price = row.values.get("agreed_price")
    if price is not None and not Decimal("0.01") <= price <= MAX_UNIT_PRICE:
        errors.add(number, "agreed_price", "invalid", _("The agreed price must be above zero (per sale unit)."))
    start, end = row.values.get("valid_from"), row.values.get("valid_until")
    if start and end and end < start:
        errors.add(number, "valid_until", "before_start", _("The period cannot end before it starts."))
    return row


def _resolve(rows: list[ResultRow], errors: _Errors) -> None:
    """Drugs, winners, institutions and funds of every row, read in five queries."""
    drug_ids = {r.values["drug_id"] for r in rows if "drug_id" in r.values}
    numbers = {r.values["approval_number"] for r in rows if "approval_number" in r.values and "drug_id" not in r.values}
    drugs = Drug.objects.in_bulk(drug_ids)
    by_number: dict[str, list[Drug]] = {}
    for drug in Drug.objects.filter(approval_number__in=numbers):
        by_number.setdefault(drug.approval_number, []).append(drug)
    org_ids = {r.values[name] for r in rows for name in ("supplier_id", "institution_id") if name in r.values}
    usccs = {r.values[name] for r in rows for name in ("supplier_uscc", "institution_uscc") if name in r.values}
    orgs = Organization.objects.in_bulk(org_ids)
    by_uscc = {org.uscc: org for org in Organization.objects.filter(uscc__in=usccs)}
    funds = InsuranceFund.objects.in_bulk(
        {r.values["settlement_fund_id"] for r in rows if "settlement_fund_id" in r.values}
    )
    for row in rows:
        values = row.values
        if "settlement_fund_id" in values:
            row.fund = funds.get(values["settlement_fund_id"])
            if row.fund is None or not row.fund.active:
                errors.add(
                    row.row,
                    "settlement_fund_id",
                    "not_an_active_fund",
                    _("Name an active medical insurance fund (or none)."),
                )
        if "drug_id" in values:
            row.drug = drugs.get(values["drug_id"])
            if row.drug is None:
                errors.add(row.row, "drug_id", "not_found", _("There is no drug %(id)s.") % {"id": values["drug_id"]})
        elif "approval_number" in values:
            matches = by_number.get(values["approval_number"], [])
            if len(matches) == 1:
                row.drug = matches[0]
            elif not matches:
                errors.add(row.row, "approval_number", "not_found", _("No drug has this approval number."))
            else:
                errors.add(
                    row.row,
                    "approval_number",
                    "ambiguous",
                    _("Several drugs (specifications, packages) have this approval number: give drug_id."),
                )
        row.supplier = _organization(row, "supplier", orgs, by_uscc, errors)
        if row.supplier is not None and row.supplier.kind in MEDICAL_INSTITUTION_KINDS:
            errors.add(row.row, "supplier_id", "not_a_supplier", _("Name the winning supplier's organisation."))
        row.institution = _organization(row, "institution", orgs, by_uscc, errors)
        if row.institution is not None and not row.institution.is_public_institution:
            errors.add(
                row.row,
                "institution_id",
                "not_a_public_institution",
                _("Agreed volumes are for public medical institutions."),
            )


def _organization(row: ResultRow, role: str, orgs: dict, by_uscc: dict, errors: _Errors) -> Organization | None:
    if f"{role}_id" in row.values:
        found = orgs.get(row.values[f"{role}_id"])
        column = f"{role}_id"
    elif f"{role}_uscc" in row.values:
        found = by_uscc.get(row.values[f"{role}_uscc"])
        column = f"{role}_uscc"
    else:
        return None
    if found is None:
        errors.add(row.row, column, "not_found", _("No organisation on the platform is this one."))
    return found


def _group(rows: list[ResultRow], errors: _Errors) -> dict[tuple, list[ResultRow]]:
    """The rows without a problem of their own by contract (programme, drug, period); each must agree with the
    group's first row on the winner and price, and name an institution once."""
    groups: dict[tuple, list[ResultRow]] = {}
    for row in rows:
        if row.row not in errors.rows:
            groups.setdefault(row.key(), []).append(row)
    for group in groups.values():
        first, seen = group[0], set()
        for row in group:
            if row.supplier != first.supplier:
                errors.add(
                    row.row,
                    "supplier_id",
                    "conflicting_row",
                    _("Row %(row)s names another winner for this programme, drug and period.") % {"row": first.row},
                )
            if row.values["agreed_price"] != first.values["agreed_price"]:
                errors.add(
                    row.row,
                    "agreed_price",
                    "conflicting_row",
                    _("Row %(row)s gives another agreed price for this programme, drug and period.")
                    % {"row": first.row},
                )
            if row.fund != first.fund:
                errors.add(
                    row.row,
                    "settlement_fund_id",
                    "conflicting_row",
                    _("Row %(row)s names another settling fund for this programme, drug and period.")
                    % {"row": first.row},
                )
            if row.institution.pk in seen:
                errors.add(row.row, "institution_id", "duplicate", _("This institution is named twice for the drug."))
            seen.add(row.institution.pk)
    return groups


def _existing(groups: dict[tuple, list[ResultRow]], errors: _Errors) -> dict[tuple, ProcurementContract]:
    """The contracts already loaded for these programmes, drugs and periods (locked); one with another winner or
    price refuses the rows."""
    programmes = {key[0] for key in groups}
    drug_ids = {key[1] for key in groups}
    found: dict[tuple, ProcurementContract] = {}
    for contract in ProcurementContract.objects.select_for_update().filter(
        programme__in=programmes, drug_id__in=drug_ids
    ):
        key = (contract.programme, contract.drug_id, contract.valid_from, contract.valid_until)
        group = groups.get(key)
        if group is None:
            continue
        first = group[0]
        conflicts = [
            column
            for column, differs in (
                ("supplier_id", contract.supplier_id != first.supplier.pk),
                ("agreed_price", contract.agreed_price != first.values["agreed_price"]),
                ("settlement_fund_id", contract.settlement_fund_id != (first.fund and first.fund.pk)),
            )
            if differs
        ]
        if conflicts:
            errors.add(
                first.row,
                conflicts[0],
                "contract_conflict",
                _(
                    "Contract %(id)s has this programme, drug and period with another winner, price or settling "
                    "fund; correct it in the admin site instead of loading another result."
                )
                % {"id": contract.pk},
            )
        found[key] = contract
    return found


def _refuse(errors: _Errors) -> InvalidInput:
    shown = errors.listed()[:MAX_REPORTED_ERRORS]
    if len(errors) > MAX_REPORTED_ERRORS:
        shown.append(
            {
                "field": "file",
                "code": "too_many_errors",
                "message": _("%(count)s more problems are not listed.") % {"count": len(errors) - MAX_REPORTED_ERRORS},
            }
        )
    return InvalidInput(
        shown,
        detail=_("%(count)s problems in the file; nothing was loaded.") % {"count": len(errors)},
    )


@transaction.atomic
def contract_results_upload(*, actor: Actor, upload: BinaryIO, name: str) -> ResultUpload:
    """Load a 集采 result file (admins): every contract and agreed volume it gives, or nothing.

    Raises: NotAParty (not an admin), InvalidInput (the file, or every row problem at once)."""
    actor.require_staff()
    rows = read_upload(upload, name, limit=RESULT_MAX_ROWS)
    if not rows:
        raise refuse_file(_("The file is empty."))
    (_header_row, header), body = rows[0], rows[1:]
    columns = header_map(header, ALIASES)
    missing = [alternatives for alternatives in REQUIRED if not any(name in columns for name in alternatives)]
    if missing:
        raise refuse_file(
            _("The first row must name the columns %(columns)s.")
            % {"columns": ", ".join(" / ".join(alternatives) for alternatives in missing)}
        )
    if not body:
        raise refuse_file(_("The file has no rows under its header."))
    # One upload at a time: two loading the same result cannot both create its contract.
    advisory_xact_lock("procurement.contract_results_upload")
    # Every stage checks every row it can, so one answer lists every problem of the file.
    errors = _Errors()
    parsed = [_parse(number, cells, columns, errors) for number, cells in body]
    _resolve(parsed, errors)
    groups = _group(parsed, errors)
    existing = _existing(groups, errors)
    if errors:
        raise _refuse(errors)
    results = [_write(actor, key, group, existing.get(key)) for key, group in groups.items()]
    return ResultUpload(rows=len(parsed), contracts=results)


def _write(actor: Actor, key: tuple, group: list[ResultRow], contract: ProcurementContract | None) -> ContractUpload:
    programme, _drug_id, valid_from, valid_until = key
    first = group[0]
    wanted = {row.institution.pk: row.values["annual_volume"] for row in group}
    if contract is None:
        contract = ProcurementContract.objects.create(
            programme=programme,
            drug=first.drug,
            supplier=first.supplier,
            agreed_price=first.values["agreed_price"],
            valid_from=valid_from,
            valid_until=valid_until,
            settlement_fund=first.fund,
        )
        result = ContractUpload(contract=contract, created=True)
        current: dict[int, ContractVolume] = {}
    else:
        result = ContractUpload(contract=contract, created=False)
        current = {volume.institution_id: volume for volume in contract.volumes.all()}
    new = [
        ContractVolume(contract=contract, institution_id=institution_id, annual_volume=volume)
        for institution_id, volume in wanted.items()
        if institution_id not in current
    ]
    changed = []
    for institution_id, volume in wanted.items():
        if institution_id in current and current[institution_id].annual_volume != volume:
            changed.append((institution_id, current[institution_id].annual_volume, volume))
            current[institution_id].annual_volume = volume
    ContractVolume.objects.bulk_create(new)
    ContractVolume.objects.bulk_update([current[institution_id] for institution_id, *_ in changed], ["annual_volume"])
    result.volumes_created, result.volumes_updated = len(new), len(changed)
    result.volumes_unchanged = len(wanted) - len(new) - len(changed)
    if result.created or new or changed:
        audit_record(
            actor=actor.audit,
            action="procurement_contract.uploaded" if result.created else "procurement_contract.volumes_uploaded",
            object_type="procurement_contract",
            object_id=contract.pk,
            organization_id=contract.supplier_id,
            changes={
                "programme": programme,
                "drug": contract.drug_id,
                "agreed_price": contract.agreed_price,
                "settlement_fund": contract.settlement_fund_id,
                "period": [valid_from, valid_until],
                "volumes_added": [[v.institution_id, v.annual_volume] for v in new],
                "volumes_changed": [list(change) for change in changed],
            },
        )
    if result.created:
        announce_contract(contract, list(wanted))
    elif new or changed:
        announce_contract_volumes(contract, [v.institution_id for v in new] + [c[0] for c in changed])
    return result
