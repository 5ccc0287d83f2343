"""Two requests carrying the same PIN at the same moment: one wins."""

import threading

import pytest
from django.db import connection

from vaults import rules
from vaults.errors import OperationRefused

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def test_a_pin_spent_by_two_requests_at_once_succeeds_once(vault, admin_user, device):
    assert connection.vendor == "postgresql"
    admin_user.is_verified = lambda: True
    text, _ = rules.generate_pin(vault, admin_user)
    barrier = threading.Barrier(4)
    outcomes = []

    def spend():
        from django.db import connections

        try:
            barrier.wait(timeout=10)
            rules.spend_pin(vault, text, label="racer")
            outcomes.append("spent")
        except OperationRefused as refusal:
            outcomes.append(refusal.entry.code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=spend) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(outcomes) == ["100130", "100130", "100130", "spent"]
