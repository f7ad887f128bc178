"""Make the audit log append-only in the database itself, not only in the application.

UPDATE of any column is refused, except setting actor_id to NULL (the foreign key's SET NULL when an
account is deleted; actor_label keeps who it was). DELETE stays possible for the retention task.
"""

from django.db import migrations

PROTECTED_COLUMNS = "occurred_at, actor_label, municipality_id, action, object_type, object_id, ip_address, request_id, details"

SQLITE_CREATE = [
    f"""CREATE TRIGGER audit_event_no_update BEFORE UPDATE OF {PROTECTED_COLUMNS} ON audit_auditevent
        BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;""",
    """CREATE TRIGGER audit_event_actor_only_nulled BEFORE UPDATE OF actor_id ON audit_auditevent
        WHEN NEW.actor_id IS NOT NULL BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;""",
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS audit_event_no_update;",
    "DROP TRIGGER IF EXISTS audit_event_actor_only_nulled;",
]

POSTGRES_CREATE = [
    """CREATE OR REPLACE FUNCTION audit_event_refuse_update() RETURNS trigger AS $$
    BEGIN
        IF NEW.actor_id IS NULL AND OLD.actor_id IS NOT NULL
           AND (NEW.occurred_at, NEW.actor_label, NEW.municipality_id, NEW.action, NEW.object_type,
                NEW.object_id, NEW.ip_address, NEW.request_id, NEW.details::text)
               IS NOT DISTINCT FROM
               (OLD.occurred_at, OLD.actor_label, OLD.municipality_id, OLD.action, OLD.object_type,
                OLD.object_id, OLD.ip_address, OLD.request_id, OLD.details::text) THEN
            RETURN NEW;
        END IF;
        RAISE EXCEPTION 'audit events are append-only';
    END;
    $$ LANGUAGE plpgsql;""",
    """CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_auditevent
        FOR EACH ROW EXECUTE FUNCTION audit_event_refuse_update();""",
]
POSTGRES_DROP = [
    "DROP TRIGGER IF EXISTS audit_event_no_update ON audit_auditevent;",
    "DROP FUNCTION IF EXISTS audit_event_refuse_update();",
]


def create_triggers(apps, schema_editor):
    statements = {"sqlite": SQLITE_CREATE, "postgresql": POSTGRES_CREATE}.get(schema_editor.connection.vendor, [])
    for statement in statements:
        schema_editor.execute(statement)


def drop_triggers(apps, schema_editor):
    statements = {"sqlite": SQLITE_DROP, "postgresql": POSTGRES_DROP}.get(schema_editor.connection.vendor, [])
    for statement in statements:
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]

    operations = [migrations.RunPython(create_triggers, drop_triggers)]
