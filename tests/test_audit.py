"""The audit trail is append-only, whichever way a change is attempted."""

import pytest
from django.db import DatabaseError, connection, transaction

from vaults import audit
from vaults.models import AuditEvent, Operation, Outcome


@pytest.fixture
def event(vault):
    return audit.record(vault, Operation.SECURITY_ENABLED, Outcome.ALLOWED)


def test_an_event_cannot_be_saved_again(event):
    event.detail = "nothing happened"
    with pytest.raises(PermissionError):
        event.save()


def test_an_event_cannot_be_deleted(event):
    with pytest.raises(PermissionError):
        event.delete()


def test_a_queryset_cannot_update_or_delete_events(event):
    with pytest.raises(PermissionError):
        AuditEvent.objects.update(detail="")
    with pytest.raises(PermissionError):
        AuditEvent.objects.all().delete()
    assert AuditEvent.objects.get().detail == event.detail


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE vaults_auditevent SET outcome = 'refused'",
        "DELETE FROM vaults_auditevent",
    ],
)
def test_raw_sql_cannot_change_or_remove_events(event, sql):
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as c:
        c.execute(sql)
    assert AuditEvent.objects.filter(pk=event.pk, outcome="allowed").exists()


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_truncate_cannot_empty_the_trail_on_postgresql(vault):
    assert connection.vendor == "postgresql"
    # Committed, as an operator's statement would be: inside a test's open
    # transaction PostgreSQL refuses TRUNCATE for reasons of its own.
    event = audit.record(vault, Operation.SECURITY_ENABLED, Outcome.ALLOWED)
    with pytest.raises(DatabaseError), connection.cursor() as cursor:
        cursor.execute("TRUNCATE vaults_auditevent CASCADE")
    assert AuditEvent.objects.filter(pk=event.pk).exists()
