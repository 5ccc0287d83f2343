import pytest
from django.urls import reverse

from vaults.models import AlertRecipient, AuditEvent, Notification, Operation


@pytest.fixture
def change_url(vault):
    return reverse("admin:vaults_vault_change", args=[vault.pk])


def form_data(vault, rows=(), enabled=True):
    """Build the vault's change form with these (id, email, delete) rows."""
    data = {
        "name": vault.name,
        "region": vault.region,
        "alert_recipients-TOTAL_FORMS": str(len(rows)),
        "alert_recipients-INITIAL_FORMS": str(sum(1 for pk, *_ in rows if pk)),
        "alert_recipients-MIN_NUM_FORMS": "0",
        "alert_recipients-MAX_NUM_FORMS": "1000",
    }
    if enabled:
        data["email_notifications_enabled"] = "on"
    for n, (pk, email, delete) in enumerate(rows):
        data[f"alert_recipients-{n}-id"] = str(pk or "")
        data[f"alert_recipients-{n}-vault"] = str(vault.pk)
        data[f"alert_recipients-{n}-email"] = email
        if delete:
            data[f"alert_recipients-{n}-DELETE"] = "on"
    return data


def test_an_operator_adds_a_recipient_through_the_rule(staff_client, vault, change_url):
    response = staff_client.post(
        change_url, form_data(vault, [(None, "Ops@Bücher.example", False)])
    )

    assert response.status_code == 302
    assert list(vault.alert_recipients.values_list("email", flat=True)) == [
        "ops@xn--bcher-kva.example"
    ]
    event = AuditEvent.objects.get(operation=Operation.RECIPIENTS_CHANGED)
    assert event.actor_label == "olga"
    assert "ops@xn--bcher-kva.example" in Notification.objects.get().recipients


def test_a_removed_recipient_is_told(staff_client, vault, change_url):
    row = AlertRecipient.objects.create(vault=vault, email="leaving@example.com")

    staff_client.post(
        change_url, form_data(vault, [(row.pk, "leaving@example.com", True)])
    )

    assert not vault.alert_recipients.exists()
    assert "leaving@example.com" in Notification.objects.get().recipients


def test_editing_a_row_replaces_the_address(staff_client, vault, change_url):
    row = AlertRecipient.objects.create(vault=vault, email="old@example.com")

    staff_client.post(
        change_url, form_data(vault, [(row.pk, "new@example.com", False)])
    )

    assert list(vault.alert_recipients.values_list("email", flat=True)) == [
        "new@example.com"
    ]
    event = AuditEvent.objects.get()
    assert "Added new@example.com" in event.detail
    assert "Removed old@example.com" in event.detail


def test_a_header_trick_is_refused_on_the_row(staff_client, vault, change_url):
    response = staff_client.post(
        change_url,
        form_data(vault, [(None, "eve@example.com\r\nBcc: all@example.org", False)]),
    )

    assert response.status_code == 200
    assert "an address cannot contain line breaks" in response.content.decode()
    assert not vault.alert_recipients.exists()
    assert not AuditEvent.objects.exists()


def test_duplicates_in_another_case_are_refused(staff_client, vault, change_url):
    rows = [(None, "bob@example.com", False), (None, "BOB@example.com", False)]

    response = staff_client.post(change_url, form_data(vault, rows))

    assert "bob@example.com is listed twice" in response.content.decode()
    assert not vault.alert_recipients.exists()


def test_the_limit_holds_in_the_console(staff_client, vault, change_url):
    rows = [(None, f"user{n}@example.com", False) for n in range(21)]

    response = staff_client.post(change_url, form_data(vault, rows))

    assert "at most 20 additional recipients" in response.content.decode()
    assert not vault.alert_recipients.exists()


def test_turning_email_off_in_the_console_is_audited(staff_client, vault, change_url):
    AlertRecipient.objects.create(vault=vault, email="oncall@example.com")
    rows = [(vault.alert_recipients.get().pk, "oncall@example.com", False)]

    staff_client.post(change_url, form_data(vault, rows, enabled=False))

    vault.refresh_from_db()
    assert vault.email_notifications_enabled is False
    assert "turned off" in AuditEvent.objects.get().detail
    assert "oncall@example.com" in Notification.objects.get().recipients


def test_saving_other_fields_raises_no_alert(staff_client, vault, change_url):
    data = form_data(vault)
    data["region"] = "northeurope"

    staff_client.post(change_url, data)

    vault.refresh_from_db()
    assert vault.region == "northeurope"
    assert not AuditEvent.objects.exists()
