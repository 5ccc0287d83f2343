"""Two purges running at the same moment purge each item once."""

import threading
from datetime import UTC, datetime

import pytest
from django.db import connections

from vaults import soft_delete
from vaults.models import AuditEvent, Chunk, ItemState, ProtectedItem

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

DUE = datetime(2026, 1, 1, tzinfo=UTC)


def test_concurrent_purges_purge_each_item_once(vault, make_server, make_point):
    server = make_server(vault)
    for n in range(6):
        item = ProtectedItem.objects.create(
            server=server,
            source=f"/data/{n}",
            state=ItemState.SOFT_DELETED,
            purge_after=DUE,
        )
        make_point(item, [f"{n}" * 64, "f" * 64])
    barrier = threading.Barrier(3)
    counts = []

    def purge():
        try:
            barrier.wait(timeout=10)
            counts.append(soft_delete.purge_due_items(DUE))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=purge) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sum(counts) == 6
    assert AuditEvent.objects.filter(operation="data-purged").count() == 6
    assert not Chunk.objects.exists()
    assert set(ProtectedItem.objects.values_list("state", flat=True)) == {"purged"}
