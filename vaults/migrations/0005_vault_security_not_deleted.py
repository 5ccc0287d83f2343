"""Refuse deleting a vault whose security settings are on, in the database.

0002 refuses an UPDATE that turns the settings off, but deleting the row and
inserting it again (or SQLite's INSERT OR REPLACE, which deletes without
firing delete triggers) wrote the same vault back with them off.
"""

from django.db import migrations

SQLITE_FORWARD = [
    """
    CREATE TRIGGER vault_security_not_deleted
    BEFORE DELETE ON vaults_vault
    WHEN OLD.security_settings_enabled = 1
    BEGIN
        SELECT RAISE(ABORT, 'a vault with security settings on cannot be deleted');
    END;
    """,
    """
    CREATE TRIGGER vault_security_not_replaced
    BEFORE INSERT ON vaults_vault
    WHEN EXISTS (
        SELECT 1 FROM vaults_vault
        WHERE id = NEW.id AND security_settings_enabled = 1
    )
    BEGIN
        SELECT RAISE(ABORT, 'a vault with security settings on cannot be replaced');
    END;
    """,
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS vault_security_not_deleted;",
    "DROP TRIGGER IF EXISTS vault_security_not_replaced;",
]

POSTGRES_FORWARD = [
    """
    CREATE FUNCTION vault_security_not_deleted() RETURNS trigger AS $$
    BEGIN
        IF OLD.security_settings_enabled THEN
            RAISE EXCEPTION 'a vault with security settings on cannot be deleted';
        END IF;
        RETURN OLD;
    END;
    $$ LANGUAGE plpgsql;
    """,
    """
    CREATE TRIGGER vault_security_not_deleted
    BEFORE DELETE ON vaults_vault
    FOR EACH ROW EXECUTE FUNCTION vault_security_not_deleted();
    """,
]
POSTGRES_BACKWARD = [
    "DROP TRIGGER IF EXISTS vault_security_not_deleted ON vaults_vault;",
    "DROP FUNCTION IF EXISTS vault_security_not_deleted();",
]


def run(statements_by_vendor):
    def apply(apps, schema_editor):
        for statement in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement)

    return apply


class Migration(migrations.Migration):
    dependencies = [("vaults", "0004_audit_no_truncate")]

    operations = [
        migrations.RunPython(
            run({"sqlite": SQLITE_FORWARD, "postgresql": POSTGRES_FORWARD}),
            run({"sqlite": SQLITE_BACKWARD, "postgresql": POSTGRES_BACKWARD}),
        )
    ]
