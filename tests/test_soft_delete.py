from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.files.storage import default_storage

from vaults import rules, soft_delete
from vaults.errors import OperationRefused
from vaults.models import AuditEvent, Chunk, ItemState, ProtectedItem, RecoveryPoint

NOON = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)


@pytest.fixture
def server(vault, make_server):
    return make_server(vault)


@pytest.fixture
def item(server):
    return ProtectedItem.objects.create(server=server, source="/srv/data")


def new_pin(vault, user):
    return rules.generate_pin(vault, user)[0]


def test_delete_from_the_agent_needs_a_pin(item, vault):
    with pytest.raises(OperationRefused) as refusal:
        soft_delete.stop_protection_from_server(item, delete_data=True, raw_pin="1")
    assert refusal.value.entry.code == "100130"
    item.refresh_from_db()
    assert item.state == ItemState.PROTECTED
    event = AuditEvent.objects.get(operation="stop-delete")
    assert event.outcome == "refused" and event.error_code == "100130"


def test_delete_with_a_pin_keeps_the_data_fourteen_days(item, vault, verified_admin):
    pin = new_pin(vault, verified_admin)
    with time_machine.travel(NOON, tick=False):
        soft_delete.stop_protection_from_server(item, delete_data=True, raw_pin=pin)

    item.refresh_from_db()
    assert item.state == ItemState.SOFT_DELETED
    assert item.deleted_by == "server fileserver-01"
    assert item.purge_after == NOON + timedelta(days=14)


@pytest.mark.parametrize("kind", ["backup-server", "dpm"])
def test_backup_server_and_dpm_need_no_pin_to_delete(vault, make_server, kind):
    server = make_server(vault, name=f"{kind}-1", kind=kind, product="2016 UR2")
    item = ProtectedItem.objects.create(server=server, source="SQL/db1")
    soft_delete.stop_protection_from_server(item, delete_data=True)
    item.refresh_from_db()
    assert item.state == ItemState.SOFT_DELETED


def test_stop_without_delete_keeps_points_and_needs_no_pin(item, make_point):
    make_point(item, ["a" * 64])
    soft_delete.stop_protection_from_server(item, delete_data=False)
    item.refresh_from_db()
    assert item.state == ItemState.STOPPED
    assert item.points.count() == 1


def test_with_security_off_deletion_is_immediate(
    legacy_vault, make_server, make_point, django_capture_on_commit_callbacks
):
    server = make_server(legacy_vault)
    item = ProtectedItem.objects.create(server=server, source="/srv/x")
    point = make_point(item, ["b" * 64])
    blob = Chunk.objects.get().blob

    with django_capture_on_commit_callbacks(execute=True):
        soft_delete.stop_protection_from_server(item, delete_data=True)

    item.refresh_from_db()
    assert item.state == ItemState.PURGED
    assert not RecoveryPoint.objects.filter(pk=point.pk).exists()
    assert not default_storage.exists(blob)


def test_the_purge_never_comes_early(item, vault, verified_admin, make_point):
    make_point(item, ["c" * 64])
    pin = new_pin(vault, verified_admin)
    with time_machine.travel(NOON, tick=False) as clock:
        soft_delete.stop_protection_from_server(item, delete_data=True, raw_pin=pin)
        clock.shift(timedelta(days=14) - timedelta(seconds=1))
        assert soft_delete.purge_due_items() == 0
        clock.shift(timedelta(seconds=1))
        assert soft_delete.purge_due_items() == 1
    item.refresh_from_db()
    assert item.state == ItemState.PURGED
    assert AuditEvent.objects.filter(operation="data-purged").count() == 1


@pytest.mark.parametrize(
    "deleted, first_due, hours",
    [
        # Berlin turns its clocks back on 2026-10-25: the wall-clock reading
        # of 14 days is the longer one (337 hours).
        ((2026, 10, 24, 12, 0), (2026, 11, 7, 12, 0), 337),
        # ...and forward on 2026-03-29: 14 days of real hours is the longer.
        ((2026, 3, 28, 12, 0), (2026, 4, 11, 13, 0), 336),
    ],
)
def test_fourteen_days_are_never_short_across_a_dst_change(
    item, vault, verified_admin, settings, deleted, first_due, hours
):
    settings.TIME_ZONE = "Europe/Berlin"
    berlin = ZoneInfo("Europe/Berlin")
    due = datetime(*first_due, tzinfo=berlin)
    pin = new_pin(vault, verified_admin)
    with time_machine.travel(datetime(*deleted, tzinfo=berlin), tick=False) as clock:
        soft_delete.stop_protection_from_server(item, delete_data=True, raw_pin=pin)
        item.refresh_from_db()
        assert item.purge_after - item.deleted_at == timedelta(hours=hours)
        clock.move_to(due - timedelta(seconds=1))
        assert soft_delete.purge_due_items() == 0
        clock.move_to(due)
        assert soft_delete.purge_due_items() == 1


def test_the_purge_keeps_chunks_other_points_need(
    vault, make_server, make_point, django_capture_on_commit_callbacks
):
    server = make_server(vault)
    gone = ProtectedItem.objects.create(
        server=server, source="/a", state=ItemState.SOFT_DELETED, purge_after=NOON
    )
    kept = ProtectedItem.objects.create(server=server, source="/b")
    make_point(gone, ["1" * 64, "2" * 64])
    make_point(kept, ["2" * 64])
    blobs = dict(Chunk.objects.values_list("digest", "blob"))

    with django_capture_on_commit_callbacks(execute=True):
        assert soft_delete.purge_due_items(NOON) == 1

    assert set(Chunk.objects.values_list("digest", flat=True)) == {"2" * 64}
    assert not default_storage.exists(blobs["1" * 64])
    assert default_storage.exists(blobs["2" * 64])
    assert kept.points.get().chunks.count() == 1


def test_purging_twice_is_harmless(vault, make_server, make_point):
    server = make_server(vault)
    item = ProtectedItem.objects.create(
        server=server, source="/a", state=ItemState.SOFT_DELETED, purge_after=NOON
    )
    make_point(item, ["3" * 64])
    assert soft_delete.purge_due_items(NOON) == 1
    assert soft_delete.purge_due_items(NOON) == 0
    assert soft_delete.purge_item(item) == 0
    assert AuditEvent.objects.filter(operation="data-purged").count() == 1


def test_undelete_brings_the_item_back_with_its_points(
    item, vault, verified_admin, make_point
):
    make_point(item, ["4" * 64])
    soft_delete.stop_protection_from_server(
        item, delete_data=True, raw_pin=new_pin(vault, verified_admin)
    )

    soft_delete.undelete(item, verified_admin)

    item.refresh_from_db()
    assert item.state == ItemState.STOPPED
    assert item.purge_after is None
    assert item.points.count() == 1
    assert soft_delete.purge_due_items(NOON + timedelta(days=400)) == 0
    assert AuditEvent.objects.filter(operation="data-recovered").exists()


def test_undelete_of_a_live_item_is_refused(item, verified_admin):
    with pytest.raises(OperationRefused) as refusal:
        soft_delete.undelete(item, verified_admin)
    assert refusal.value.entry.code == "SR-NOT-DELETED"


def test_a_deleted_item_cannot_be_deleted_again(item, vault, verified_admin):
    soft_delete.stop_protection_from_portal(item, verified_admin, delete_data=True)
    with pytest.raises(OperationRefused):
        soft_delete.stop_protection_from_portal(item, verified_admin, delete_data=True)


def test_portal_deletion_needs_a_verified_admin(item, make_user, subscription):
    reader = make_user("bob", "reader", subscription)
    reader.is_verified = lambda: True
    with pytest.raises(OperationRefused):
        soft_delete.stop_protection_from_portal(item, reader, delete_data=True)
    item.refresh_from_db()
    assert item.state == ItemState.PROTECTED


def test_a_refused_portal_deletion_is_audited_and_alerted(
    item, make_user, subscription
):
    contributor = make_user("carl", "contributor", subscription)
    contributor.is_verified = lambda: True
    with pytest.raises(OperationRefused):
        soft_delete.stop_protection_from_portal(item, contributor, delete_data=True)

    event = AuditEvent.objects.get(operation="stop-delete")
    assert (event.outcome, event.error_code) == ("refused", "SR-FORBIDDEN")
    assert event.actor == contributor
    assert event.notifications.exists()


def test_a_refused_undelete_is_audited_and_alerted(
    item, vault, verified_admin, make_user, subscription
):
    soft_delete.stop_protection_from_portal(item, verified_admin, delete_data=True)
    reader = make_user("rita", "reader", subscription)
    reader.is_verified = lambda: True

    with pytest.raises(OperationRefused):
        soft_delete.undelete(item, reader)

    item.refresh_from_db()
    assert item.state == ItemState.SOFT_DELETED
    event = AuditEvent.objects.get(operation="data-recovered")
    assert (event.outcome, event.error_code) == ("refused", "SR-FORBIDDEN")
    assert event.notifications.exists()
