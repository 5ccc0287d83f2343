from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from vaults.models import ItemState, ProtectedItem, Subscription, Vault


@pytest.fixture
def item(vault, make_server):
    return ProtectedItem.objects.create(server=make_server(vault), source="/srv/data")


def soft_delete_now(item, days_ago=0):
    deleted = timezone.now() - timedelta(days=days_ago)
    ProtectedItem.objects.filter(pk=item.pk).update(
        state=ItemState.SOFT_DELETED,
        deleted_at=deleted,
        deleted_by="fileserver-01",
        purge_after=deleted + timedelta(days=14),
    )


def test_it_lists_deleted_items_with_time_left(verified_client, vault, item):
    soft_delete_now(item, days_ago=4)

    response = verified_client.get(reverse("deleted-items", args=[vault.pk]))

    body = response.content.decode()
    assert "/srv/data" in body and "fileserver-01" in body
    assert "9 days 23 h" in body


def test_live_items_are_not_listed(verified_client, vault, item):
    response = verified_client.get(reverse("deleted-items", args=[vault.pk]))
    assert b"/srv/data" not in response.content
    assert b"No deleted items." in response.content


def test_undelete_puts_the_item_back(verified_client, vault, item):
    soft_delete_now(item)
    url = reverse("item-undelete", args=[vault.pk, item.pk])

    response = verified_client.post(url, follow=True)

    item.refresh_from_db()
    assert item.state == ItemState.STOPPED
    assert b"is back" in response.content


def test_undelete_needs_a_verified_session(signed_in_client, device, vault, item):
    soft_delete_now(item)
    url = reverse("item-undelete", args=[vault.pk, item.pk])
    response = signed_in_client.post(url)
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.state == ItemState.SOFT_DELETED


def test_an_item_of_another_vault_is_not_found(verified_client, vault, make_server):
    stranger = Vault.objects.create(
        subscription=Subscription.objects.create(name="Fabrikam"), name="x-vault"
    )
    other = ProtectedItem.objects.create(server=make_server(stranger), source="/x")
    soft_delete_now(other)
    url = reverse("item-undelete", args=[vault.pk, other.pk])
    assert verified_client.post(url).status_code == 404
    assert (
        verified_client.post(
            reverse("item-undelete", args=[stranger.pk, other.pk])
        ).status_code
        == 404
    )


def test_stop_protection_needs_the_name_typed(verified_client, vault, item):
    url = reverse("item-stop-protection", args=[vault.pk, item.pk])

    response = verified_client.post(url, {"delete_data": "on", "confirm_name": "/srv"})

    assert b"Type /srv/data exactly" in response.content
    item.refresh_from_db()
    assert item.state == ItemState.PROTECTED


def test_stop_protection_offers_a_way_back_to_the_item(verified_client, vault, item):
    url = reverse("item-stop-protection", args=[vault.pk, item.pk])
    item_url = reverse("backup-item", args=[vault.pk, item.pk])

    body = verified_client.get(url).content.decode()

    assert f'<a class="btn btn-link" href="{item_url}">Cancel</a>' in body
    assert f'<a href="{item_url}">/srv/data</a>' in body


def test_stop_protection_with_delete_lands_in_deleted_items(
    verified_client, vault, item
):
    url = reverse("item-stop-protection", args=[vault.pk, item.pk])

    response = verified_client.post(
        url, {"delete_data": "on", "confirm_name": "/srv/data"}, follow=True
    )

    item.refresh_from_db()
    assert item.state == ItemState.SOFT_DELETED
    assert response.redirect_chain[-1][0] == reverse("deleted-items", args=[vault.pk])
    assert b"kept until" in response.content


def test_stop_protection_without_delete_keeps_data(verified_client, vault, item):
    url = reverse("item-stop-protection", args=[vault.pk, item.pk])
    verified_client.post(url, {})
    item.refresh_from_db()
    assert item.state == ItemState.STOPPED


def test_the_item_blade_offers_stop_backup(verified_client, vault, item):
    response = verified_client.get(reverse("backup-item", args=[vault.pk, item.pk]))
    stop = reverse("item-stop-protection", args=[vault.pk, item.pk])
    assert stop.encode() in response.content


def test_virtual_machine_workloads_are_marked_not_covered(verified_client, vault, item):
    ProtectedItem.objects.filter(pk=item.pk).update(kind="vm")
    response = verified_client.get(reverse("backup-items", args=[vault.pk]))
    assert b"not covered by security settings" in response.content
