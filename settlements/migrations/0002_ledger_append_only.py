"""The ledger is append-only and balanced in the database itself, not only in code (RELIABILITY LED-1, LED-5).

* Journal entries and postings refuse UPDATE and DELETE (a corrected entry is a new reversal entry).
* A deferred constraint trigger re-adds each touched entry's postings at commit: any entry whose
  postings do not sum to zero in every currency aborts the whole transaction, whichever code wrote it.
"""

from django.db import migrations

FORWARD = """
CREATE FUNCTION settlements_ledger_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the ledger is append-only (% of % %)', TG_OP, TG_TABLE_NAME, OLD.id
        USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER settlements_journalentry_append_only BEFORE UPDATE OR DELETE ON settlements_journalentry
    FOR EACH ROW EXECUTE FUNCTION settlements_ledger_append_only();
CREATE TRIGGER settlements_posting_append_only BEFORE UPDATE OR DELETE ON settlements_posting
    FOR EACH ROW EXECUTE FUNCTION settlements_ledger_append_only();

CREATE FUNCTION settlements_entry_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    unbalanced record;
BEGIN
    SELECT currency, sum(amount) AS total INTO unbalanced
    FROM settlements_posting WHERE entry_id = NEW.entry_id
    GROUP BY currency HAVING sum(amount) <> 0 LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'journal entry % does not balance: % %', NEW.entry_id, unbalanced.total, unbalanced.currency
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END;
$$;
CREATE CONSTRAINT TRIGGER settlements_posting_balanced AFTER INSERT ON settlements_posting
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION settlements_entry_balanced();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS settlements_posting_balanced ON settlements_posting;
DROP FUNCTION IF EXISTS settlements_entry_balanced();
DROP TRIGGER IF EXISTS settlements_posting_append_only ON settlements_posting;
DROP TRIGGER IF EXISTS settlements_journalentry_append_only ON settlements_journalentry;
DROP FUNCTION IF EXISTS settlements_ledger_append_only();
"""


class Migration(migrations.Migration):
    dependencies = [("settlements", "0001_initial")]
    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
