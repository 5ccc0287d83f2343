"""Properties > Backup Credentials > Download."""

import hashlib
import json
from datetime import timedelta

from django.urls import reverse

from tests.conftest import verify_session
from vaults.models import AuditEvent, Operation, Role, VaultCredential


def url(vault):
    return reverse("backup-credentials", args=[vault.pk])


def test_properties_offer_the_download(verified_client, vault):
    response = verified_client.get(reverse("vault-properties", args=[vault.pk]))

    assert b"Backup Credentials" in response.content
    assert url(vault).encode() in response.content


def test_download_is_a_one_use_file_valid_48_hours(verified_client, vault):
    response = verified_client.post(url(vault))

    assert response.status_code == 200
    assert response["Content-Disposition"] == (
        'attachment; filename="prod-vault.strongroom-credentials.json"'
    )
    document = json.loads(response.content)
    assert document["vault_id"] == vault.pk
    assert document["vault_name"] == "prod-vault"
    assert document["portal_url"] == "http://testserver"
    credential = VaultCredential.objects.get()
    assert (
        credential.token_hash == hashlib.sha256(document["token"].encode()).hexdigest()
    )
    assert credential.expires_at - credential.created_at == timedelta(hours=48)
    event = AuditEvent.objects.get(operation=Operation.CREDENTIALS_DOWNLOADED)
    assert document["token"] not in event.detail


def test_each_download_is_a_new_token(verified_client, vault):
    first = json.loads(verified_client.post(url(vault)).content)["token"]
    second = json.loads(verified_client.post(url(vault)).content)["token"]

    assert first != second
    assert VaultCredential.objects.count() == 2


def test_download_needs_a_verified_session(signed_in_client, vault):
    response = signed_in_client.post(url(vault))

    assert response.status_code == 302
    assert not VaultCredential.objects.exists()


def test_download_needs_the_admin_role(client, make_user, subscription, vault):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    user = make_user("cora", Role.CONTRIBUTOR, subscription)
    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    verify_session(client, user, device)

    response = client.post(url(vault), follow=True)

    assert b"You do not have the role" in response.content
    assert not VaultCredential.objects.exists()


def test_download_is_post_only(verified_client, vault):
    assert verified_client.get(url(vault)).status_code == 405


def test_another_subscriptions_vault_is_not_found(verified_client, make_user):
    from vaults.models import Subscription, Vault

    other = Subscription.objects.create(name="Fabrikam")
    vault = Vault.objects.create(subscription=other, name="theirs")

    assert verified_client.post(url(vault)).status_code == 404
