"""Backup items: protected folders with their latest point, and each item's points."""

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from vaults.models import ProtectedItem, RecoveryPoint


def test_it_lists_items_with_the_latest_point(
    verified_client, vault, make_credentialed_server
):
    server, _ = make_credentialed_server(vault)
    item = ProtectedItem.objects.create(server=server, source="/srv/data")
    now = timezone.now()
    RecoveryPoint.objects.create(
        item=item, taken_at=now - timedelta(days=1), size=10, manifest_blob="a"
    )
    RecoveryPoint.objects.create(
        item=item, taken_at=now, size=3 * 1024 * 1024, manifest_blob="b"
    )

    response = verified_client.get(reverse("backup-items", args=[vault.pk]))

    text = response.content.decode()
    assert "/srv/data" in text
    assert now.strftime("%Y-%m-%d %H:%M") in text
    assert "3.0\xa0MB" in text
    assert "Protected" in text


def test_items_are_paged_with_constant_queries(
    verified_client, vault, make_credentialed_server, django_assert_max_num_queries
):
    server, _ = make_credentialed_server(vault)
    for number in range(60):
        item = ProtectedItem.objects.create(server=server, source=f"/srv/{number:02d}")
        RecoveryPoint.objects.create(item=item, manifest_blob="m", size=number)

    with django_assert_max_num_queries(12):
        response = verified_client.get(reverse("backup-items", args=[vault.pk]))

    assert "Page 1 of 2" in response.content.decode()


def test_an_item_page_lists_its_points(
    verified_client, vault, make_credentialed_server
):
    server, _ = make_credentialed_server(vault)
    item = ProtectedItem.objects.create(server=server, source="/srv/data")
    point = RecoveryPoint.objects.create(item=item, manifest_blob="m", file_count=42)

    response = verified_client.get(reverse("backup-item", args=[vault.pk, item.pk]))

    text = response.content.decode()
    assert f"<td>{point.pk}</td>" in text
    assert "<td>42</td>" in text


def test_an_item_of_another_vault_is_not_found(
    verified_client, vault, subscription, make_credentialed_server
):
    from vaults.models import Vault

    other = Vault.objects.create(subscription=subscription, name="other")
    server, _ = make_credentialed_server(other)
    item = ProtectedItem.objects.create(server=server, source="/srv/data")

    response = verified_client.get(reverse("backup-item", args=[vault.pk, item.pk]))

    assert response.status_code == 404
