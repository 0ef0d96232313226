"""Records are kept for their retention period in the database itself (SPEC §7a):
at least five years after the business, and one year past the latest expiry of the goods concerned.

`records_retained_until(order_id)` is the end of an order's period: the latest of placement, receipt and closing
plus five years, or the latest expiry date of the lots shipped on it plus one year, whichever is later. Deleting an
order, its lines, events, shipments, shipment lines, shipment events or custody hops before that moment is refused
(whichever code runs the DELETE; TRUNCATE, which only a superuser's maintenance runs, is not a DELETE). The audit
log and the ledger are append-only already (pharmex 0002, settlements 0002): no DELETE at all.
"""

from django.db import migrations

FORWARD = """
CREATE FUNCTION records_retained_until(order_id bigint) RETURNS timestamptz LANGUAGE sql STABLE AS $$
    SELECT greatest(
        greatest(o.placed_at, o.received_at, o.closed_at) + interval '5 years',
        (SELECT max(sl.expiry_date) FROM orders_shipmentline sl JOIN orders_shipment s ON s.id = sl.shipment_id
         WHERE s.order_id = o.id)::timestamptz + interval '1 year'
    )
    FROM orders_order o WHERE o.id = order_id
$$;

CREATE FUNCTION records_retention_guard() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    owner_order bigint;
    retained timestamptz;
BEGIN
    -- One statement per shape of row: PL/pgSQL plans a field reference only when its statement runs.
    IF TG_TABLE_NAME = 'orders_order' THEN
        owner_order := OLD.id;
    ELSIF TG_TABLE_NAME IN ('orders_shipmentline', 'orders_shipmentevent') THEN
        SELECT order_id INTO owner_order FROM orders_shipment WHERE id = OLD.shipment_id;
    ELSE
        owner_order := OLD.order_id;
    END IF;
    retained := records_retained_until(owner_order);
    IF retained IS NOT NULL AND retained > now() THEN
        RAISE EXCEPTION 'records are retained until % (delete of % % of order %)',
            retained, TG_TABLE_NAME, OLD.id, owner_order
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN OLD;
END;
$$;
"""

TABLES = [
    "orders_order",
    "orders_orderline",
    "orders_orderevent",
    "orders_shipment",
    "orders_shipmentline",
    "orders_shipmentevent",
    "orders_custodyhop",
]

FORWARD += "".join(
    f"CREATE TRIGGER {table}_retained BEFORE DELETE ON {table} FOR EACH ROW EXECUTE FUNCTION records_retention_guard();\n"
    for table in TABLES
)

BACKWARD = "".join(f"DROP TRIGGER IF EXISTS {table}_retained ON {table};\n" for table in TABLES) + (
    "DROP FUNCTION IF EXISTS records_retention_guard();\nDROP FUNCTION IF EXISTS records_retained_until(bigint);\n"
)


class Migration(migrations.Migration):
    dependencies = [("orders", "0007_snapshots_and_holds")]
    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
