""" "A statement settles a receivable" written once, as the SQL function `settlements_statement_settles`.

Migration 0004 wrote the rule three times — in the StatementLine view, in the guard trigger and in the
generator's WHERE — and they had drifted: the trigger ignored the currency, so a receivable in another currency
paid into a statement's range was refused as if that statement settled it. The view, the trigger and the
generator (settlements/sql.py) now call one function; a LANGUAGE sql IMMUTABLE function is inlined by the
planner, so the view and the trigger keep their plans (the paid range still uses its index).

StatementEvent becomes a pharmex.models.TransitionRecord (a `data` column, 30-character actions), like the
history of every other state machine.
"""

from django.db import migrations, models

SETTLES = """
CREATE FUNCTION settlements_statement_settles(
    statement_supplier bigint, statement_currency varchar, paid_from timestamptz, paid_to timestamptz,
    receivable_supplier bigint, receivable_currency varchar, paid_at timestamptz, reversed_at timestamptz
) RETURNS boolean LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT statement_supplier = receivable_supplier AND statement_currency = receivable_currency
       AND paid_at >= paid_from AND paid_at < paid_to AND reversed_at IS NULL
$$;
COMMENT ON FUNCTION settlements_statement_settles(
    bigint, varchar, timestamptz, timestamptz, bigint, varchar, timestamptz, timestamptz
) IS 'A statement settles the receivables of its supplier and currency paid in its range and not reversed.';

CREATE OR REPLACE VIEW settlements_statementline AS
SELECT r.order_id, s.id AS statement_id, r.gross, r.commission, r.net, r.paid_at
FROM settlements_statement s
JOIN settlements_receivable r
  ON settlements_statement_settles(s.supplier_id, s.currency, s.paid_from, s.paid_to,
                                   r.supplier_id, r.currency, r.paid_at, r.reversed_at);

CREATE OR REPLACE FUNCTION settlements_receivable_settled_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' AND EXISTS (
        SELECT 1 FROM settlements_statement s
        WHERE settlements_statement_settles(s.supplier_id, s.currency, s.paid_from, s.paid_to,
                                            OLD.supplier_id, OLD.currency, OLD.paid_at, OLD.reversed_at)
    ) THEN
        RAISE EXCEPTION 'order % is on a supplier statement: its receivable cannot change', OLD.order_id
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF TG_OP <> 'DELETE' AND EXISTS (
        SELECT 1 FROM settlements_statement s
        WHERE settlements_statement_settles(s.supplier_id, s.currency, s.paid_from, s.paid_to,
                                            NEW.supplier_id, NEW.currency, NEW.paid_at, NEW.reversed_at)
    ) THEN
        RAISE EXCEPTION 'order % cannot be paid at %: a statement of supplier % already settles that time',
            NEW.order_id, NEW.paid_at, NEW.supplier_id
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END;
$$;
"""

# Migration 0004's view and guard, as they were.
UNSETTLES = """
CREATE OR REPLACE VIEW settlements_statementline AS
SELECT r.order_id, s.id AS statement_id, r.gross, r.commission, r.net, r.paid_at
FROM settlements_statement s
JOIN settlements_receivable r
  ON r.supplier_id = s.supplier_id AND r.currency = s.currency
 AND r.paid_at >= s.paid_from AND r.paid_at < s.paid_to AND r.reversed_at IS NULL;

CREATE OR REPLACE FUNCTION settlements_receivable_settled_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' AND OLD.paid_at IS NOT NULL AND OLD.reversed_at IS NULL AND EXISTS (
        SELECT 1 FROM settlements_statement s
        WHERE s.supplier_id = OLD.supplier_id AND s.paid_from <= OLD.paid_at AND s.paid_to > OLD.paid_at
    ) THEN
        RAISE EXCEPTION 'order % is on a supplier statement: its receivable cannot change', OLD.order_id
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF TG_OP <> 'DELETE' AND NEW.paid_at IS NOT NULL AND NEW.reversed_at IS NULL AND EXISTS (
        SELECT 1 FROM settlements_statement s
        WHERE s.supplier_id = NEW.supplier_id AND s.paid_from <= NEW.paid_at AND s.paid_to > NEW.paid_at
    ) THEN
        RAISE EXCEPTION 'order % cannot be paid at %: a statement of supplier % already settles that time',
            NEW.order_id, NEW.paid_at, NEW.supplier_id
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END;
$$;

DROP FUNCTION settlements_statement_settles(bigint, varchar, timestamptz, timestamptz, bigint, varchar, timestamptz,
    timestamptz);
"""


class Migration(migrations.Migration):
    dependencies = [
        ("settlements", "0004_statement_paid_ranges"),
    ]

    operations = [
        migrations.AddField(
            model_name="statementevent",
            name="data",
            field=models.JSONField(blank=True, default=dict),
        ),
        migrations.AlterField(
            model_name="statementevent",
            name="action",
            field=models.CharField(max_length=30),
        ),
        migrations.RunSQL(SETTLES, UNSETTLES),
    ]
