import re
from datetime import UTC, datetime, timedelta

import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from vaults.models import (
    AuditEvent,
    ItemState,
    Notification,
    NotificationState,
    Operation,
    Outcome,
    ProtectedItem,
    RecoveryPoint,
    Subscription,
    Vault,
)

NOW = datetime(2025, 3, 4, 3, 0, tzinfo=UTC)


def overview(client, vault):
    return client.get(reverse("vault-overview", args=[vault.pk])).content.decode()


def add_item(server, source, state=ItemState.PROTECTED, **fields):
    return ProtectedItem.objects.create(
        server=server, source=source, state=state, **fields
    )


def add_point(item, taken_at):
    return RecoveryPoint.objects.create(item=item, taken_at=taken_at, manifest_blob="m")


def add_alert(vault, operation, outcome, state, created_at):
    event = AuditEvent.objects.create(
        vault=vault,
        actor_label="alice",
        operation=operation,
        outcome=outcome,
        occurred_at=created_at,
    )
    return Notification.objects.create(
        vault=vault,
        event=event,
        subject=f"{operation} {outcome}",
        body_text="-",
        body_html="-",
        state=state,
        created_at=created_at,
    )


def test_it_shows_essentials(verified_client, vault):
    response = verified_client.get(reverse("vault-overview", args=[vault.pk]))
    body = response.content.decode()
    assert "Recovery Services vault" in body
    assert "West Europe" in body
    assert "Contoso" in body


def test_another_subscriptions_vault_is_not_found(verified_client, db):
    other = Vault.objects.create(
        subscription=Subscription.objects.create(name="Fabrikam"), name="hidden"
    )
    for name in ["vault-overview", "vault-properties", "audit-log"]:
        response = verified_client.get(reverse(name, args=[other.pk]))
        assert response.status_code == 404, name


def test_a_legacy_vault_shows_a_notice(verified_client, legacy_vault):
    response = verified_client.get(reverse("vault-overview", args=[legacy_vault.pk]))
    assert b"Security settings are off for this vault" in response.content


def test_every_menu_entry_opens(verified_client, vault):
    response = verified_client.get(reverse("vault-overview", args=[vault.pk]))
    links = set(
        re.findall(rf'href="(/vaults/{vault.pk}/[^"]*)"', response.content.decode())
    )
    assert len(links) >= 3
    for link in links:
        assert verified_client.get(link).status_code == 200, link


def test_every_blade_names_itself_and_the_vault_in_the_page_title(
    verified_client, vault
):
    pages = {
        "vault-overview": "prod-vault",
        "vault-properties": "Properties · prod-vault",
        "security-settings": "Security Settings · prod-vault",
        "security-pin": "Security PIN · prod-vault",
        "backup-items": "Backup items · prod-vault",
        "deleted-items": "Deleted items · prod-vault",
        "backup-policies": "Backup policies · prod-vault",
        "backup-infrastructure": "Backup infrastructure · prod-vault",
        "backup-alerts": "Backup alerts · prod-vault",
        "audit-log": "Audit log · prod-vault",
    }
    for name, title in pages.items():
        response = verified_client.get(reverse(name, args=[vault.pk]))
        assert f"<title>{title} · Strongroom</title>" in response.content.decode(), name


def test_a_reader_is_not_offered_pin_or_credentials(
    client, make_user, subscription, vault
):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from tests.conftest import verify_session
    from vaults.models import Role

    reader = make_user("bob", Role.READER, subscription)
    verify_session(client, reader, TOTPDevice.objects.create(user=reader, name="p"))
    response = client.get(reverse("vault-properties", args=[vault.pk]))
    assert b'id="generate-pin"' not in response.content
    assert b'id="download-credentials"' not in response.content
    assert b"can generate one" in response.content


def test_an_admin_is_offered_pin_and_credentials(verified_client, vault):
    response = verified_client.get(reverse("vault-properties", args=[vault.pk]))
    assert b'id="generate-pin"' in response.content
    assert b'id="download-credentials"' in response.content


def test_it_counts_backup_items_by_state_and_links_to_them(
    verified_client, vault, make_server
):
    server = make_server(vault)
    for n in range(3):
        add_item(server, f"/srv/p{n}")
    add_item(server, "/srv/stopped", ItemState.STOPPED)
    add_item(server, "/srv/gone", ItemState.SOFT_DELETED)
    add_item(server, "/srv/purged", ItemState.PURGED)
    body = overview(verified_client, vault)
    items = reverse("backup-items", args=[vault.pk])
    deleted = reverse("deleted-items", args=[vault.pk])
    assert f'<a href="{items}"><strong>3</strong> protected</a>' in body
    assert f'<a href="{items}"><strong>1</strong> protection stopped</a>' in body
    assert f'<a href="{deleted}"><strong>1</strong> soft-deleted</a>' in body


@time_machine.travel(NOW, tick=False)
def test_it_says_when_the_next_soft_deleted_item_is_purged(
    verified_client, vault, make_server
):
    server = make_server(vault)
    for days in (9, 2):
        add_item(
            server,
            f"/srv/{days}",
            ItemState.SOFT_DELETED,
            deleted_at=NOW,
            purge_after=NOW + timedelta(days=days, hours=5),
        )
    assert "Next purge in 2 days 5 h" in overview(verified_client, vault)


@time_machine.travel(NOW, tick=False)
def test_it_shows_the_latest_recovery_point_of_any_item(
    verified_client, vault, make_server, subscription
):
    server = make_server(vault)
    add_point(add_item(server, "/a"), NOW - timedelta(days=3))
    add_point(add_item(server, "/b"), NOW - timedelta(hours=5))
    other = Vault.objects.create(subscription=subscription, name="other")
    add_point(add_item(make_server(other, "elsewhere"), "/c"), NOW)
    body = overview(verified_client, vault)
    assert "2025-03-03 22:00 UTC" in body
    assert "5\xa0hours ago" in body


def test_it_says_no_recovery_point_yet(verified_client, vault):
    assert "None yet" in overview(verified_client, vault)


def test_it_counts_servers_below_the_minimum_version(
    verified_client, vault, make_server
):
    make_server(vault, "new", version="2.0.9145")
    make_server(vault, "old", version="2.0.9000")
    make_server(vault, "mabs", kind="backup-server", version="2.0.9052", product="")
    body = overview(verified_client, vault)
    infrastructure = reverse("backup-infrastructure", args=[vault.pk])
    assert f'<a href="{infrastructure}">3 registered</a>' in body
    assert "2 below the minimum version</span></a>" in body
    assert "update them" in body


def test_it_says_when_every_server_meets_the_minimum(
    verified_client, vault, make_server
):
    make_server(vault, "new", version="2.0.9145")
    assert "All meet the minimum version" in overview(verified_client, vault)


@time_machine.travel(NOW, tick=False)
def test_it_lists_the_five_latest_alerts_with_their_state(verified_client, vault):
    for minutes in range(6):
        add_alert(
            vault,
            Operation.PIN_GENERATED,
            Outcome.ALLOWED,
            NotificationState.SENT,
            NOW - timedelta(minutes=10 + minutes),
        )
    add_alert(
        vault,
        Operation.PASSPHRASE_CHANGED,
        Outcome.REFUSED,
        NotificationState.FAILED,
        NOW,
    )
    body = overview(verified_client, vault)
    table = body[body.index('class="table grid recent-alerts"') :]
    table = table[: table.index("</table>")]
    assert table.count("<tr>") == 1 + 5
    assert "2025-03-04 03:00" in table
    assert "Change passphrase" in table
    assert '<span class="state state-off">Refused</span>' in table
    assert '<span class="state state-off">Failed</span>' in table
    assert "2025-03-04 02:45" not in table
    assert reverse("backup-alerts", args=[vault.pk]) in body


def test_a_vault_with_security_settings_on_shows_no_warning(verified_client, vault):
    body = overview(verified_client, vault)
    assert "Security settings are off" not in body
    assert '<span class="state state-on">Enabled</span>' in body


def test_its_queries_do_not_grow_with_items_servers_points_or_alerts(
    verified_client, vault, make_server, django_assert_max_num_queries
):
    server = make_server(vault, "first")
    add_point(add_item(server, "/first"), NOW)
    add_alert(vault, Operation.PIN_GENERATED, Outcome.ALLOWED, "sent", NOW)
    overview(verified_client, vault)
    with CaptureQueriesContext(connection) as baseline:
        overview(verified_client, vault)

    for n in range(20):
        server = make_server(vault, f"server-{n}", version=f"2.0.{9000 + n}")
        for state in (ItemState.PROTECTED, ItemState.STOPPED, ItemState.SOFT_DELETED):
            item = add_item(server, f"/{state}", state, purge_after=NOW)
            for hours in range(3):
                add_point(item, NOW - timedelta(hours=hours))
        add_alert(vault, Operation.PIN_GENERATED, Outcome.REFUSED, "failed", NOW)

    with django_assert_max_num_queries(len(baseline)):
        body = overview(verified_client, vault)
    assert "<strong>21</strong> protected" in body
    assert "21 registered" in body
