"""A placed order's lines are the buyer's request, not yet a sale: an amendment (SPEC §5) removes a line before the
supplier confirms, and the order's `amend` event and audit record keep what it was. The retention guard lets
those deletes through; every other record stays refused inside its period."""

from django.db import migrations

GUARD = """
CREATE OR REPLACE FUNCTION records_retention_guard() RETURNS trigger LANGUAGE plpgsql AS $$
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
    {exception}
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

PLACED_LINES = """IF TG_TABLE_NAME = 'orders_orderline'
        AND (SELECT status FROM orders_order WHERE id = owner_order) = 'placed' THEN
        RETURN OLD;
    END IF;"""


class Migration(migrations.Migration):
    dependencies = [("records", "0001_retention_guard")]
    operations = [
        migrations.RunSQL(GUARD.replace("{exception}", PLACED_LINES), GUARD.replace("{exception}", "")),
    ]
