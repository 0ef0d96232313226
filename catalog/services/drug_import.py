"""The drug master-data import (admins; API job or `manage.py import_drugs FILE`): upsert by
(approval number, specification, package), every row validated like a proposal; imported drugs are active."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from itertools import islice

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from catalog.choices import DrugStatus, dosage_form_from_text
from catalog.errors import CeilingPeriodConflict
from catalog.models import CeilingPrice, Drug, ImportJob
from catalog.services.ceilings import ceiling_period_add
from catalog.services.market import market_status_apply
from catalog.tabular import (
    CHUNK_ROWS,
    CellError,
    FileUnreadable,
    ImportTally,
    cell,
    date_cell,
    decimal_cell,
    header_map,
    int_cell,
    text_cell,
)
from catalog.validators import normalize_code
from pharmex.actor import SYSTEM_ACTOR

ALIASES = {
    "批准文号": "approval_number",
    "通用名称": "generic_name",
    "产品名称": "generic_name",
    "商品名": "brand_name",
    "英文名称": "english_name",
    "剂型": "dosage_form",
    "规格": "specification",
    "包装": "package",
    "销售单位": "sale_unit",
    "最小单位": "min_unit",
    "包装数量": "units_per_pack",
    "上市许可持有人": "mah_name",
    "生产单位": "manufacturer_name",
    "生产企业": "manufacturer_name",
    "药品本位码": "national_drug_code",
    "医保药品代码": "nrdl_code",
    "限价": "ceiling_price",
    "限价生效日期": "ceiling_effective_from",
    "文号有效期": "registration_valid_until",
    "批准文号有效期": "registration_valid_until",
    "限制类别": "restricted_class",
    "简易计税类别": "simplified_vat_class",
}
TEXT_FIELDS = ("approval_number", "generic_name", "brand_name", "english_name", "specification", "package",
               "sale_unit", "min_unit", "mah_name", "manufacturer_name", "drug_type", "category", "special_class",
               "storage", "national_drug_code", "atc_code", "nrdl_code", "nrdl_class", "gtin", "restricted_class",
               "simplified_vat_class")  # fmt: skip
REQUIRED = ("generic_name", "dosage_form", "specification", "package", "sale_unit", "min_unit", "units_per_pack",
            "manufacturer_name", "drug_type", "category")  # fmt: skip
DEFAULTS = {"special_class": "none", "storage": "ambient", "restricted_class": "none"}
CEILING = ("ceiling_price", "ceiling_effective_from")


def drug_rows_import(
    *, job: ImportJob | None, rows: Iterator[tuple[int, list]], tally: ImportTally, on_progress: Callable[[], None]
) -> None:
    header = next(rows, None)
    if header is None:
        raise FileUnreadable(_("The file has no header row."))
    columns = header_map(header[1], ALIASES)
    missing = [name for name in REQUIRED if name not in columns]
    if missing:
        raise FileUnreadable(_("Missing columns: %(columns)s.") % {"columns": ", ".join(missing)})
    while chunk := list(islice(rows, CHUNK_ROWS)):
        for number, cells in chunk:
            tally.processed += 1
            outcome = _import_row(number, cells, columns, tally, job)
            if outcome is None:
                tally.failed += 1
            else:
                setattr(tally, outcome, getattr(tally, outcome) + 1)
        on_progress()


def _values(number: int, cells: list, columns: dict[str, int], tally: ImportTally) -> dict | None:
    values: dict = {}
    failed = False
    for name in TEXT_FIELDS:
        if name in columns:
            values[name] = text_cell(cell(cells, columns, name))
    converters = {
        "units_per_pack": lambda v: int_cell(v, minimum=1, maximum=1_000_000),
        "ceiling_price": decimal_cell,
        "ceiling_effective_from": date_cell,
        "registration_valid_until": date_cell,
    }
    for name, convert in converters.items():
        raw = cell(cells, columns, name)
        try:
            values[name] = convert(raw) if raw is not None else None
        except CellError as error:
            tally.error(number, name, str(error))
            failed = True
    form = dosage_form_from_text(text_cell(cell(cells, columns, "dosage_form")))
    if form is None:
        tally.error(number, "dosage_form", _("Unknown dosage form; use a value of the controlled list, e.g. 片剂."))
        failed = True
    values["dosage_form"] = form
    return None if failed else values


def _import_row(
    number: int, cells: list, columns: dict[str, int], tally: ImportTally, job: ImportJob | None
) -> str | None:
    values = _values(number, cells, columns, tally)
    if values is None:
        return None
    ceiling = tuple(values.pop(name, None) for name in CEILING)
    if (ceiling[0] is None) != (ceiling[1] is None):
        tally.error(number, "ceiling_effective_from", _("A ceiling price needs its effective date, and back."))
        return None
    # An empty validity cell clears it (not limited); a file without the column leaves it as it is.
    values = {k: v for k, v in values.items() if v is not None or (k == "registration_valid_until" and k in columns)}
    key = {
        "approval_number": normalize_code(values.get("approval_number", "")),
        "specification": values["specification"],
        "package": values["package"],
    }
    if not key["approval_number"]:
        key.update(generic_name=values["generic_name"], manufacturer_name=values["manufacturer_name"])
    drug = Drug.objects.filter(**key).first()
    outcome = "created" if drug is None else "updated"
    for name, default in DEFAULTS.items():
        if not values.get(name):
            # A new drug gets the default; an existing one keeps its class (a file without the column, or with an
            # empty cell, never declassifies a narcotic or a restricted drug).
            if drug is None:
                values[name] = default
            else:
                values.pop(name, None)
    if drug is None:
        drug = Drug(status=DrugStatus.ACTIVE)
    before = {name: getattr(drug, name) for name in values}
    for name, value in values.items():
        setattr(drug, name, value)
    try:
        drug.full_clean(validate_unique=False, validate_constraints=False)
    except ValidationError as error:
        for field, messages in error.message_dict.items():
            tally.error(number, None if field == "__all__" else field, " ".join(messages))
        return None
    new_ceiling = ceiling[0] is not None and not _ceiling_known(drug, ceiling)
    if outcome == "updated" and before == {name: getattr(drug, name) for name in values} and not new_ceiling:
        return "unchanged"
    try:
        with transaction.atomic():
            drug.save()
            if new_ceiling:
                ceiling_period_add(
                    drug=drug, actor=SYSTEM_ACTOR, price=ceiling[0], effective_from=ceiling[1], note=_note(job)
                )
            market_status_apply(drug=drug, actor=SYSTEM_ACTOR)
    except CeilingPeriodConflict as error:
        tally.error(number, "ceiling_effective_from", str(error.detail))
        return None
    return outcome


def _ceiling_known(drug: Drug, ceiling: tuple) -> bool:
    """The file's ceiling is the drug's latest period already (a rerun of the same file changes nothing)."""
    if drug.pk is None:
        return False
    latest = CeilingPrice.objects.filter(drug=drug).order_by("-effective_from").first()
    return latest is not None and (latest.price, latest.effective_from) == ceiling


def _note(job: ImportJob | None) -> str:
    return f"Import job {job.pk}" if job is not None else "import_drugs"
