"""Documents are immutable once submitted, and their access log append-only, in the database itself.

A document version may change only its verification status, the review note and time, its supersession and the
expiry job's memory; its file, hash, type, subject and validity never (a correction is a new version). No
version is ever deleted (kept for the retention period, SPEC §7a). An access record is never changed or deleted.
Tampering needs a superuser who disables the triggers.
"""

from django.db import migrations

FORWARD = """
CREATE FUNCTION firstbusiness_document_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'documents are kept (delete of %)', OLD.id USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF (NEW.id, NEW.organization_id, NEW.type, NEW.title, NEW.license_id, NEW.representative_id, NEW.drug_id,
        NEW.lot, NEW.scope_provinces, NEW.valid_from, NEW.valid_until, NEW.series, NEW.version, NEW.file,
        NEW.content_type, NEW.size, NEW.sha256, NEW.original_name, NEW.uploaded_by_label, NEW.created_at)
       IS DISTINCT FROM
       (OLD.id, OLD.organization_id, OLD.type, OLD.title, OLD.license_id, OLD.representative_id, OLD.drug_id,
        OLD.lot, OLD.scope_provinces, OLD.valid_from, OLD.valid_until, OLD.series, OLD.version, OLD.file,
        OLD.content_type, OLD.size, OLD.sha256, OLD.original_name, OLD.uploaded_by_label, OLD.created_at) THEN
        RAISE EXCEPTION 'a submitted document is immutable (update of %)', OLD.id
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER firstbusiness_document_immutable BEFORE UPDATE OR DELETE ON firstbusiness_document
    FOR EACH ROW EXECUTE FUNCTION firstbusiness_document_immutable();

CREATE FUNCTION firstbusiness_access_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'document accesses are append-only (% of %)', TG_OP, OLD.id
        USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER firstbusiness_access_append_only BEFORE UPDATE OR DELETE ON firstbusiness_documentaccess
    FOR EACH ROW EXECUTE FUNCTION firstbusiness_access_append_only();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS firstbusiness_access_append_only ON firstbusiness_documentaccess;
DROP FUNCTION IF EXISTS firstbusiness_access_append_only();
DROP TRIGGER IF EXISTS firstbusiness_document_immutable ON firstbusiness_document;
DROP FUNCTION IF EXISTS firstbusiness_document_immutable();
"""


class Migration(migrations.Migration):
    dependencies = [("firstbusiness", "0001_initial")]
    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
