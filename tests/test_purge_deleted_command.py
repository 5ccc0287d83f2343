from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from vaults.models import ItemState, ProtectedItem


@pytest.fixture
def deleted_item(vault, make_server):
    now = timezone.now()
    return ProtectedItem.objects.create(
        server=make_server(vault),
        source="/srv/old",
        state=ItemState.SOFT_DELETED,
        deleted_at=now,
        purge_after=now + timedelta(days=14),
    )


def run(*args):
    out = StringIO()
    call_command("purge_deleted", *args, stdout=out)
    return out.getvalue()


def test_nothing_is_purged_before_its_time(deleted_item):
    assert run().startswith("0 of 0")
    deleted_item.refresh_from_db()
    assert deleted_item.state == ItemState.SOFT_DELETED


def test_moving_the_clock_forward_purges_for_a_demo(deleted_item, settings):
    settings.DEBUG = True
    assert run("--days-ahead", "15").startswith("1 of 1")
    deleted_item.refresh_from_db()
    assert deleted_item.state == ItemState.PURGED


def test_thirteen_days_ahead_is_still_too_early(deleted_item, settings):
    settings.DEBUG = True
    run("--days-ahead", "13")
    deleted_item.refresh_from_db()
    assert deleted_item.state == ItemState.SOFT_DELETED


def test_the_clock_shift_is_refused_in_production(deleted_item, settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="allow-clock-shift"):
        run("--days-ahead", "15")
    deleted_item.refresh_from_db()
    assert deleted_item.state == ItemState.SOFT_DELETED


def test_a_negative_shift_is_refused(deleted_item):
    with pytest.raises(CommandError):
        run("--days-ahead", "-1")
