"""The audit log is append-only in the database itself, not only by convention (SPEC §7).

An existing record may only be sealed once (sequence/previous_hash/hash set from NULL, nothing
else changed); every other UPDATE and every DELETE is refused. Tampering therefore needs a
superuser who disables the trigger, and verify_audit_chain then names the altered record.
"""

from django.db import migrations

FORWARD = """
CREATE FUNCTION pharmex_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'audit records are append-only (delete of %)', OLD.id USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF OLD.sequence IS NULL AND NEW.sequence IS NOT NULL
       AND (NEW.id, NEW.occurred_at, NEW.actor_type, NEW.actor_user_id, NEW.actor_api_key_id, NEW.actor_label,
            NEW.organization_id, NEW.action, NEW.object_type, NEW.object_id, NEW.changes, NEW.request_id)
           IS NOT DISTINCT FROM
           (OLD.id, OLD.occurred_at, OLD.actor_type, OLD.actor_user_id, OLD.actor_api_key_id, OLD.actor_label,
            OLD.organization_id, OLD.action, OLD.object_type, OLD.object_id, OLD.changes, OLD.request_id) THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'audit records are append-only (update of %)', OLD.id USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER pharmex_audit_append_only BEFORE UPDATE OR DELETE ON pharmex_auditevent
    FOR EACH ROW EXECUTE FUNCTION pharmex_audit_append_only();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS pharmex_audit_append_only ON pharmex_auditevent;
DROP FUNCTION IF EXISTS pharmex_audit_append_only();
"""


class Migration(migrations.Migration):
    dependencies = [("pharmex", "0001_initial")]
    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
