"""The catalogue's hand-written SQL (pharmex/db.py has the policy; tests/catalog/test_sql.py the parity).

The offers of a cart and the stock they give run on every placement; the offer import writes up to
200,000 rows per file, where COPY into a temporary table and three set-based statements beat the ORM's
row-by-row saves by two orders of magnitude (BENCHMARKS.md, catalogue).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from django.db import connection
from django.utils import timezone

from accounts.models import Organization
from catalog.choices import CustomsStatus, OfferStatus
from catalog.models import CeilingPrice, CustomsStatusChange, Drug, Offer, OfferPriceChange, OfferStatusChange
from pharmex.db import RowModel, any_of, column, execute, fetch_all, quote, split_row, table

_OFFER, _DRUG, _SUPPLIER = RowModel(Offer, "offer"), RowModel(Drug, "drug"), RowModel(Organization, "supplier")
_CEILING = RowModel(CeilingPrice, "ceiling")

# Offer.objects.select_related("drug", "supplier").filter(pk__in=ids), with each drug's ceiling period in force
# on a day (CeilingPrice.objects.in_force(on)): periods of a drug never overlap, so the join adds at most one
# row, and the gate learns the ceiling without a statement of its own.
OFFERS_WITH_DRUG_AND_SUPPLIER = f"""
    SELECT {_OFFER.columns}, {_DRUG.columns}, {_SUPPLIER.columns}, {_CEILING.columns}
    FROM {_OFFER.table}
    JOIN {_DRUG.table} ON {_DRUG.column("id")} = {_OFFER.column("drug")}
    JOIN {_SUPPLIER.table} ON {_SUPPLIER.column("id")} = {_OFFER.column("supplier")}
    LEFT JOIN {_CEILING.table} ON {_CEILING.column("drug")} = {_DRUG.column("id")}
        AND {_CEILING.column("effective_from")} <= %(on)s
        AND ({_CEILING.column("effective_until")} IS NULL OR {_CEILING.column("effective_until")} >= %(on)s)
    WHERE {_OFFER.column("id")} = {any_of("%(ids)s::bigint[]")}
"""
_BIGINT = range(-(2**63), 2**63)

# The inner SELECT locks the rows in primary-key order, so carts sharing offers queue in the same order
# and never deadlock (one UPDATE of several rows would take its locks in no promised order); the
# condition then reads each row's committed stock under its lock, so stock never goes below zero. Each
# offer's quantity is looked up by its place among the ids rather than joined from `unnest(ids, quantities)`,
# whose row count a custom plan would see (pharmex.db.any_of).
_STOCK, _OFFER_ID = column(Offer, "stock"), column(Offer, "id")
STOCK_TAKE = f"""
    UPDATE {table(Offer, "offer")}
    SET {_STOCK} = offer.{_STOCK} - wanted.quantity, {column(Offer, "updated_at")} = %(now)s
    FROM (SELECT {_OFFER_ID} FROM {table(Offer)} WHERE {_OFFER_ID} = {any_of("%(ids)s::bigint[]")}
          ORDER BY {_OFFER_ID} FOR UPDATE) AS locked,
         LATERAL (SELECT (%(quantities)s::bigint[])[array_position(%(ids)s::bigint[], locked.{_OFFER_ID})]
                  AS quantity) AS wanted
    WHERE offer.{_OFFER_ID} = locked.{_OFFER_ID} AND offer.{_STOCK} >= wanted.quantity
    RETURNING offer.{_OFFER_ID}
"""


# The columns OFFERS_WITH_DRUG_AND_SUPPLIER selects, in offers_from_rows's order: the ceiling's come last.
_CEILING_AT = len(_OFFER.fields) + len(_DRUG.fields) + len(_SUPPLIER.fields)
OFFER_COLUMNS = _CEILING_AT + len(_CEILING.fields)


def offer_ids_param(ids: Iterable[int]) -> list[int]:
    """The %(ids)s of OFFERS_WITH_DRUG_AND_SUPPLIER: an id no bigint can hold names no offer."""
    return [pk for pk in ids if pk in _BIGINT]


def offers_from_rows(rows: Iterable[Sequence]) -> dict[int, Offer]:
    """The offers of rows of OFFERS_WITH_DRUG_AND_SUPPLIER (read in the gate's one statement, orders.sql.gate_reads)
    by id, with their drug (its `ceilings_in_force` on the day set) and supplier."""
    offers = {}
    for row in rows:
        offer, drug, supplier = split_row(row, _OFFER, _DRUG, _SUPPLIER)
        ceiling_row = row[_CEILING_AT:]
        drug.ceilings_in_force = [] if ceiling_row[0] is None else [_CEILING.build(ceiling_row)]
        offer.drug, offer.supplier = drug, supplier
        offers[offer.pk] = offer
    return offers


def stock_take(quantities: Mapping[int, int]) -> set[int]:
    """Take each quantity from its offer's stock where that much is there; returns the offers taken."""
    rows = fetch_all(
        STOCK_TAKE, {"now": timezone.now(), "ids": list(quantities), "quantities": list(quantities.values())}
    )
    return {offer_id for (offer_id,) in rows}


# --- the offer import -----------------------------------------------------------------------------------------
IMPORT_TERMS = ("unit_price", "vat_rate", "stock", "min_order_quantity", "order_multiple", "lead_time_days",
                "provinces", "earliest_expiry", "status")  # fmt: skip
# Set only when the import creates the offer: an offer's customs status then moves only forward, each step a
# recorded event with its declaration number (catalog.customs), never by import.
IMPORT_NEW_TERMS = ("customs_status",)
_IMPORT_ROWS = "catalog_offer_import_rows"  # a temporary table, dropped at commit


def _import_table_ddl() -> str:
    def typed(name: str, field_name: str) -> str:
        return f"{quote(name)} {Offer._meta.get_field(field_name).db_type(connection)}"

    columns = [
        "offer_id bigint",
        "drug_id bigint",
        *(typed(term, term) for term in IMPORT_TERMS + IMPORT_NEW_TERMS),
        typed("old_price", "unit_price"),
        typed("old_status", "status"),
    ]
    # Dropped first: a chunk written earlier in the same transaction (the import run inside an outer transaction,
    # as tests run it) left its table, which only the commit drops. One round trip, no parameters.
    return (
        f"DROP TABLE IF EXISTS pg_temp.{_IMPORT_ROWS}; "
        f"CREATE TEMP TABLE {_IMPORT_ROWS} ({', '.join(columns)}) ON COMMIT DROP"
    )


def _import_statements() -> tuple[str, str, str, str]:
    new_terms = IMPORT_TERMS + IMPORT_NEW_TERMS
    terms = ", ".join(column(Offer, term) for term in new_terms)
    customs = CustomsStatusChange
    # The new offers and the `list` row of their customs history (as POST /offers/ writes it), in one statement.
    insert = f"""
        WITH created AS (
            INSERT INTO {table(Offer)} ({column(Offer, "supplier")}, {column(Offer, "drug")}, {terms},
                {column(Offer, "currency")}, {column(Offer, "created_at")}, {column(Offer, "updated_at")})
            SELECT %(supplier)s, drug_id, {", ".join(quote(term) for term in new_terms)}, %(currency)s, now(), now()
            FROM {_IMPORT_ROWS} WHERE offer_id IS NULL
            ON CONFLICT ON CONSTRAINT offer_unique_supplier_drug DO NOTHING
            RETURNING {_OFFER_ID} AS id, {column(Offer, "customs_status")} AS customs_status
        )
        INSERT INTO {table(customs)} ({column(customs, "offer")}, {column(customs, "action")},
            {column(customs, "from_status")}, {column(customs, "to_status")}, {column(customs, "actor")},
            {column(customs, "note")}, {column(customs, "data")}, {column(customs, "created_at")})
        SELECT id, %(list)s, '', customs_status, %(label)s, %(note)s,
            jsonb_build_object('import_job', %(job)s::bigint), now()
        FROM created ORDER BY id
    """
    assignments = ", ".join(f"{column(Offer, term)} = row.{quote(term)}" for term in IMPORT_TERMS)
    update = f"""
        UPDATE {table(Offer, "offer")} SET {assignments}, {column(Offer, "updated_at")} = now()
        FROM {_IMPORT_ROWS} AS row
        WHERE row.offer_id IS NOT NULL AND offer.{_OFFER_ID} = row.offer_id
          AND offer.{column(Offer, "supplier")} = %(supplier)s
    """
    price = OfferPriceChange
    prices = f"""
        INSERT INTO {table(price)} ({column(price, "offer")}, {column(price, "old_price")},
            {column(price, "new_price")}, {column(price, "changed_by")}, {column(price, "changed_by_user")},
            {column(price, "import_job")}, {column(price, "changed_at")})
        SELECT offer_id, old_price, unit_price, %(label)s, %(user)s, %(job)s, now() FROM {_IMPORT_ROWS}
        WHERE offer_id IS NOT NULL AND old_price <> unit_price
    """
    change = OfferStatusChange
    statuses = f"""
        INSERT INTO {table(change)} ({column(change, "offer")}, {column(change, "action")},
            {column(change, "from_status")}, {column(change, "to_status")}, {column(change, "actor")},
            {column(change, "note")}, {column(change, "data")}, {column(change, "created_at")})
        SELECT offer_id, CASE WHEN status = %(active)s THEN %(activate)s ELSE %(pause)s END, old_status, status,
            %(label)s, %(note)s, jsonb_build_object('import_job', %(job)s::bigint), now()
        FROM {_IMPORT_ROWS}
        WHERE offer_id IS NOT NULL AND old_status <> status
    """
    return insert, update, prices, statuses


def offer_import_write(
    *, supplier_id: int, job_id: int, label: str, user_id: int | None, rows: Iterable[tuple]
) -> None:
    """Upsert one chunk of an import: `rows` are (offer or None, drug id, {term: value}) after every check.

    New offers are inserted with their customs status (`terms["customs_status"]`, duty_paid without it) and the
    `list` row of their customs history; changed ones are updated (never their customs status); price and status
    changes go to their histories.
    Call inside a transaction (the temporary table lives until it commits).
    """
    with connection.cursor() as cursor:
        cursor.execute(_import_table_ddl())
        with cursor.cursor.copy(f"COPY {_IMPORT_ROWS} FROM STDIN") as copy:
            for offer, drug_id, terms in rows:
                copy.write_row(
                    (
                        offer.pk if offer else None,
                        drug_id,
                        *(terms[term] for term in IMPORT_TERMS),
                        None if offer else terms.get("customs_status", CustomsStatus.DUTY_PAID),
                        offer.unit_price if offer else None,
                        offer.status if offer else None,
                    )
                )
    insert, update, prices, statuses = _import_statements()
    params = {
        "supplier": supplier_id,
        "currency": Offer._meta.get_field("currency").default,
        "label": label[:255],
        "user": user_id,
        "job": job_id,
        "active": OfferStatus.ACTIVE.value,
        "activate": "activate",
        "pause": "pause",
        "list": "list",
        "note": f"Import job {job_id}",
    }
    for statement in (insert, update, prices, statuses):
        execute(statement, params)
