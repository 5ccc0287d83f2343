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


def test_items_filter_by_text_and_state(verified_client, vault, make_server):
    from vaults.models import ProtectedItem

    alpha = make_server(vault, name="alpha-01")
    beta = make_server(vault, name="beta-02")
    ProtectedItem.objects.create(server=alpha, source="/srv/finance")
    ProtectedItem.objects.create(server=beta, source="/srv/photos", state="stopped")
    url = reverse("backup-items", args=[vault.pk])

    by_server = verified_client.get(url, {"q": "BETA"}).content
    by_source = verified_client.get(url, {"q": "finance"}).content
    by_state = verified_client.get(url, {"state": "stopped"}).content

    assert b"/srv/photos" in by_server and b"/srv/finance" not in by_server
    assert b"/srv/finance" in by_source and b"/srv/photos" not in by_source
    assert b"/srv/photos" in by_state and b"/srv/finance" not in by_state
    assert verified_client.get(url, {"state": "bogus", "q": "\x00"}).status_code == 200


def test_pages_keep_the_filter(verified_client, vault, make_server):
    from vaults.models import ProtectedItem

    server = make_server(vault)
    ProtectedItem.objects.bulk_create(
        ProtectedItem(server=server, source=f"/data/{n:03d}") for n in range(60)
    )
    response = verified_client.get(
        reverse("backup-items", args=[vault.pk]), {"q": "data", "state": "protected"}
    )
    assert b"?q=data&amp;state=protected&amp;page=2" in response.content


def test_servers_filter_by_name(verified_client, vault, make_server):
    make_server(vault, name="alpha-01")
    make_server(vault, name="beta-02")
    response = verified_client.get(
        reverse("backup-infrastructure", args=[vault.pk]), {"q": "alp"}
    )
    assert b"alpha-01" in response.content and b"beta-02" not in response.content
