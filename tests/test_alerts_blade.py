from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from vaults import audit
from vaults.models import (
    AlertRecipient,
    AuditEvent,
    Notification,
    NotificationState,
    Operation,
    Outcome,
    Role,
    Subscription,
    Vault,
)


def blade_url(vault):
    return reverse("backup-alerts", args=[vault.pk])


def configure_url(vault):
    return reverse("configure-notifications", args=[vault.pk])


def post(client, vault, **data):
    data.setdefault("email_notifications", "on")
    return client.post(configure_url(vault), data)


def raise_alerts(vault, count):
    start = timezone.now() - timedelta(hours=1)
    for n in range(count):
        event = audit.record(
            vault,
            Operation.PASSPHRASE_CHANGED,
            Outcome.REFUSED,
            label=f"server web{n:02d}",
            error_code="100130",
            client_address="198.51.100.7",
        )
        Notification.objects.filter(event=event).update(
            created_at=start + timedelta(seconds=n)
        )


def test_the_vault_menu_opens_backup_alerts(verified_client, vault):
    response = verified_client.get(reverse("vault-overview", args=[vault.pk]))
    assert f'href="{blade_url(vault)}"' in response.content.decode()


def test_it_lists_alerts_newest_first_with_who_and_recipients(verified_client, vault):
    AlertRecipient.objects.create(vault=vault, email="ops@xn--bcher-kva.example")
    raise_alerts(vault, 2)

    body = verified_client.get(blade_url(vault)).content.decode()

    assert body.index("server web01") < body.index("server web00")
    assert "Change passphrase" in body
    assert "100130" in body
    assert "198.51.100.7" in body
    assert "ops@bücher.example" in body
    assert "alice@contoso.example" in body


def test_it_shows_each_delivery_state(verified_client, vault):
    raise_alerts(vault, 3)
    queued, retrying, failed = Notification.objects.order_by("created_at")
    retrying.attempts, retrying.last_error = 2, "SMTPDataError: 451 try later"
    retrying.save()
    failed.state, failed.attempts = NotificationState.FAILED, 12
    failed.last_error = "SMTPRecipientsRefused: 550 no such user"
    failed.save()

    body = verified_client.get(blade_url(vault)).content.decode()

    assert "Queued</span>" in body
    assert "Queued, retrying" in body
    assert "2 tries failed" in body
    assert "451 try later" in body
    assert "Failed after 12 tries" in body
    assert "550 no such user" in body


def test_a_sent_alert_says_sent(verified_client, vault):
    raise_alerts(vault, 1)
    Notification.objects.update(state=NotificationState.SENT, sent_at=timezone.now())

    body = verified_client.get(blade_url(vault)).content.decode()

    assert "Sent</span>" in body


def test_alerts_are_paged_by_fifty(verified_client, vault):
    raise_alerts(vault, 51)

    first = verified_client.get(blade_url(vault)).content.decode()
    second = verified_client.get(blade_url(vault) + "?page=2").content.decode()

    assert "Page 1 of 2 (51 items)" in first
    assert "server web50" in first
    assert "server web00" not in first
    assert "server web00" in second


def test_queries_do_not_grow_with_alerts(
    verified_client, vault, django_assert_max_num_queries
):
    raise_alerts(vault, 2)
    with django_assert_max_num_queries(30) as few:
        verified_client.get(blade_url(vault))
    raise_alerts(vault, 40)
    with django_assert_max_num_queries(len(few.captured_queries)):
        verified_client.get(blade_url(vault))


def test_an_administrator_adds_recipients(verified_client, vault):
    response = post(
        verified_client, vault, add="Oncall@Example.com; ops@bücher.example"
    )

    assert response.status_code == 302
    assert sorted(vault.alert_recipients.values_list("email", flat=True)) == [
        "oncall@example.com",
        "ops@xn--bcher-kva.example",
    ]
    event = AuditEvent.objects.get(operation=Operation.RECIPIENTS_CHANGED)
    assert event.client_address == "127.0.0.1"
    page = verified_client.get(blade_url(vault)).content.decode()
    assert "Everyone on the old and new lists is told" in page
    assert "stored as ops@xn--bcher-kva.example" in page


def test_an_administrator_removes_a_recipient_and_it_is_told(verified_client, vault):
    AlertRecipient.objects.create(vault=vault, email="leaving@example.com")

    post(verified_client, vault, remove=["leaving@example.com"])

    assert not vault.alert_recipients.exists()
    assert "leaving@example.com" in Notification.objects.get().recipients


def test_email_notifications_can_be_turned_off(verified_client, vault):
    post(verified_client, vault, email_notifications="off")

    vault.refresh_from_db()
    assert vault.email_notifications_enabled is False


def test_a_bad_address_is_a_field_error_and_nothing_changes(verified_client, vault):
    response = post(
        verified_client,
        vault,
        add="ok@example.com, eve@example.com\r\nBcc: all@example.org",
    )

    assert response.status_code == 400
    assert "an address cannot contain line breaks" in response.content.decode()
    assert not vault.alert_recipients.exists()
    assert not AuditEvent.objects.exists()


def test_a_duplicate_in_another_case_is_a_field_error(verified_client, vault):
    AlertRecipient.objects.create(vault=vault, email="bob@example.com")

    response = post(verified_client, vault, add="BOB@example.com")

    assert response.status_code == 400
    assert "bob@example.com is already a recipient" in response.content.decode()


def test_the_twenty_first_recipient_is_refused(verified_client, vault):
    AlertRecipient.objects.bulk_create(
        AlertRecipient(vault=vault, email=f"user{n}@example.com") for n in range(20)
    )

    response = post(verified_client, vault, add="one-more@example.com")

    assert response.status_code == 400
    assert "at most 20 additional recipients" in response.content.decode()
    assert vault.alert_recipients.count() == 20


def test_saving_needs_a_verified_session(signed_in_client, vault):
    response = post(signed_in_client, vault, add="a@example.com")

    assert response.status_code == 302
    assert reverse("otp-verify") in response["Location"]
    assert not vault.alert_recipients.exists()


@pytest.mark.parametrize("role", [Role.CONTRIBUTOR, Role.READER])
def test_a_member_without_the_admin_role_cannot_change_the_list(
    client, make_user, subscription, vault, role
):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from tests.conftest import verify_session

    member = make_user("carol", role, subscription)
    device = TOTPDevice.objects.create(user=member, name="phone", confirmed=True)
    verify_session(client, member, device)

    page = client.get(blade_url(vault)).content.decode()
    response = post(client, vault, add="a@example.com")

    assert "Only an administrator" in page
    assert 'name="add"' not in page
    assert response.status_code == 403
    assert "You do not have the role" in response.content.decode()
    assert not vault.alert_recipients.exists()


def test_another_subscriptions_vault_is_not_found(verified_client, db):
    other = Vault.objects.create(
        subscription=Subscription.objects.create(name="Fabrikam"), name="hidden"
    )
    assert verified_client.get(blade_url(other)).status_code == 404
    assert post(verified_client, other, add="a@example.com").status_code == 404


def test_configure_accepts_only_post(verified_client, vault):
    assert verified_client.get(configure_url(vault)).status_code == 405
