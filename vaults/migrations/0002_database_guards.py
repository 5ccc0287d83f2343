"""Database triggers that repeat two rules for anything that bypasses the ORM.

Security settings, once on, stay on; the audit trail is append-only.
"""

from django.db import migrations

SQLITE_FORWARD = [
    """
    CREATE TRIGGER vault_security_stays_on
    BEFORE UPDATE OF security_settings_enabled ON vaults_vault
    WHEN OLD.security_settings_enabled = 1 AND NEW.security_settings_enabled = 0
    BEGIN
        SELECT RAISE(ABORT, 'security settings cannot be turned off');
    END;
    """,
    """
    CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON vaults_auditevent
    BEGIN
        SELECT RAISE(ABORT, 'the audit trail is append-only');
    END;
    """,
    """
    CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON vaults_auditevent
    BEGIN
        SELECT RAISE(ABORT, 'the audit trail is append-only');
    END;
    """,
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS vault_security_stays_on;",
    "DROP TRIGGER IF EXISTS audit_event_no_update;",
    "DROP TRIGGER IF EXISTS audit_event_no_delete;",
]

POSTGRES_FORWARD = [
    """
    CREATE FUNCTION vault_security_stays_on() RETURNS trigger AS $$
    BEGIN
        IF OLD.security_settings_enabled AND NOT NEW.security_settings_enabled THEN
            RAISE EXCEPTION 'security settings cannot be turned off';
        END IF;
        RETURN NEW;
    END;
    $$ LANGUAGE plpgsql;
    """,
    """
    CREATE TRIGGER vault_security_stays_on
    BEFORE UPDATE ON vaults_vault
    FOR EACH ROW EXECUTE FUNCTION vault_security_stays_on();
    """,
    """
    CREATE FUNCTION audit_event_append_only() RETURNS trigger AS $$
    BEGIN
        RAISE EXCEPTION 'the audit trail is append-only';
    END;
    $$ LANGUAGE plpgsql;
    """,
    """
    CREATE TRIGGER audit_event_append_only
    BEFORE UPDATE OR DELETE ON vaults_auditevent
    FOR EACH ROW EXECUTE FUNCTION audit_event_append_only();
    """,
]
POSTGRES_BACKWARD = [
    "DROP TRIGGER IF EXISTS vault_security_stays_on ON vaults_vault;",
    "DROP FUNCTION IF EXISTS vault_security_stays_on();",
    "DROP TRIGGER IF EXISTS audit_event_append_only ON vaults_auditevent;",
    "DROP FUNCTION IF EXISTS audit_event_append_only();",
]


def run(statements_by_vendor):
    def apply(apps, schema_editor):
        for statement in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement)

    return apply


class Migration(migrations.Migration):
    dependencies = [("vaults", "0001_initial")]

    operations = [
        migrations.RunPython(
            run({"sqlite": SQLITE_FORWARD, "postgresql": POSTGRES_FORWARD}),
            run({"sqlite": SQLITE_BACKWARD, "postgresql": POSTGRES_BACKWARD}),
        )
    ]
