"""Refuse TRUNCATE of a non-empty audit trail on PostgreSQL.

Row triggers do not see TRUNCATE, so the append-only guard of 0002 let one
statement empty the whole trail. An empty table may still be truncated, which
is what a test database's flush does once its rows are gone.
"""

from django.db import migrations

POSTGRES_FORWARD = [
    """
    CREATE FUNCTION audit_event_no_truncate() RETURNS trigger AS $$
    BEGIN
        IF EXISTS (SELECT 1 FROM vaults_auditevent) THEN
            RAISE EXCEPTION 'the audit trail is append-only';
        END IF;
        RETURN NULL;
    END;
    $$ LANGUAGE plpgsql;
    """,
    """
    CREATE TRIGGER audit_event_no_truncate
    BEFORE TRUNCATE ON vaults_auditevent
    FOR EACH STATEMENT EXECUTE FUNCTION audit_event_no_truncate();
    """,
]
POSTGRES_BACKWARD = [
    "DROP TRIGGER IF EXISTS audit_event_no_truncate ON vaults_auditevent;",
    "DROP FUNCTION IF EXISTS audit_event_no_truncate();",
]


def run(statements):
    def apply(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for statement in statements:
                schema_editor.execute(statement)

    return apply


class Migration(migrations.Migration):
    dependencies = [("vaults", "0003_alerts_next_attempt")]

    operations = [
        migrations.RunPython(run(POSTGRES_FORWARD), run(POSTGRES_BACKWARD)),
    ]
