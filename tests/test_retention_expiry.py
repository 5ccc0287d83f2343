from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from vaults import retention
from vaults.models import BackupPolicy, Chunk, ItemState, ProtectedItem, RecoveryPoint


@pytest.fixture
def policy(vault):
    return BackupPolicy.objects.create(
        vault=vault,
        name="Short",
        daily_days=7,
        weekly_weeks=4,
        monthly_months=3,
        yearly_years=1,
    )


@pytest.fixture
def item(vault, make_server, policy):
    return ProtectedItem.objects.create(
        server=make_server(vault), source="/srv", policy=policy
    )


def point_at(item, when, make_point, digests):
    point = make_point(item, digests)
    point.taken_at = when
    point.expires_at = retention.expiry_for(item, item.policy, when)
    point.save()
    return point


def test_the_first_point_of_a_year_is_kept_a_year(item, make_point):
    new_year = datetime(2026, 1, 1, 22, 0, tzinfo=UTC)
    first = point_at(item, new_year, make_point, ["a" * 64])
    assert first.expires_at == datetime(2027, 1, 1, 22, 0, tzinfo=UTC)


def test_later_points_get_the_longest_range_that_applies(item, make_point):
    point_at(item, datetime(2026, 1, 1, 22, 0, tzinfo=UTC), make_point, ["a" * 64])
    same_week = datetime(2026, 1, 2, 22, 0, tzinfo=UTC)
    assert retention.expiry_for(item, item.policy, same_week) == same_week + timedelta(
        days=7
    )
    next_monday = datetime(2026, 1, 5, 22, 0, tzinfo=UTC)
    assert retention.expiry_for(
        item, item.policy, next_monday
    ) == next_monday + timedelta(weeks=4)
    first_of_february = datetime(2026, 2, 1, 22, 0, tzinfo=UTC)
    assert retention.expiry_for(item, item.policy, first_of_february) == datetime(
        2026, 5, 1, 22, 0, tzinfo=UTC
    )


def test_month_arithmetic_keeps_to_the_month_end():
    assert retention.add_months(datetime(2026, 11, 30, tzinfo=UTC), 3) == datetime(
        2027, 2, 28, tzinfo=UTC
    )
    assert retention.add_months(datetime(2028, 2, 29, tzinfo=UTC), 12) == datetime(
        2029, 2, 28, tzinfo=UTC
    )


def test_expiry_removes_old_points_and_their_unshared_chunks(
    item, make_point, django_capture_on_commit_callbacks, blob_storage
):
    old = point_at(
        item, datetime(2026, 3, 4, tzinfo=UTC), make_point, ["1" * 64, "2" * 64]
    )
    old.expires_at = datetime(2026, 3, 11, tzinfo=UTC)
    old.save()
    newer = point_at(item, datetime(2026, 3, 5, tzinfo=UTC), make_point, ["2" * 64])
    RecoveryPoint.objects.filter(pk=newer.pk).update(
        expires_at=datetime(2026, 3, 12, tzinfo=UTC)
    )
    gone_blob = Chunk.objects.get(digest="1" * 64).blob

    expiry_day = datetime(2026, 3, 11, tzinfo=UTC)
    with (
        time_machine.travel(expiry_day, tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert retention.expire_points() == 1

    assert list(item.points.all()) == [newer]
    assert list(Chunk.objects.values_list("digest", flat=True)) == ["2" * 64]
    assert not (blob_storage / gone_blob).exists()


def test_one_second_before_expiry_nothing_goes(item, make_point):
    old = point_at(item, datetime(2026, 3, 4, tzinfo=UTC), make_point, ["1" * 64])
    RecoveryPoint.objects.filter(pk=old.pk).update(
        expires_at=datetime(2026, 3, 11, tzinfo=UTC)
    )
    point_at(item, datetime(2026, 3, 5, tzinfo=UTC), make_point, ["2" * 64])
    assert retention.expire_points(datetime(2026, 3, 10, 23, 59, 59, tzinfo=UTC)) == 0


def test_the_newest_point_of_an_item_is_never_expired(item, make_point):
    only = point_at(item, datetime(2026, 3, 4, tzinfo=UTC), make_point, ["1" * 64])
    RecoveryPoint.objects.filter(pk=only.pk).update(
        expires_at=datetime(2026, 3, 5, tzinfo=UTC)
    )
    assert retention.expire_points(datetime(2027, 1, 1, tzinfo=UTC)) == 0
    assert item.points.count() == 1


def test_points_of_deleted_data_wait_for_the_purge(item, make_point):
    for day in (4, 5):
        point = point_at(item, datetime(2026, 3, day, tzinfo=UTC), make_point, [])
        RecoveryPoint.objects.filter(pk=point.pk).update(
            expires_at=datetime(2026, 3, 6, tzinfo=UTC)
        )
    ProtectedItem.objects.filter(pk=item.pk).update(state=ItemState.SOFT_DELETED)
    assert retention.expire_points(datetime(2027, 1, 1, tzinfo=UTC)) == 0
    assert item.points.count() == 2
