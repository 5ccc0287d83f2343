from django.urls import reverse

from vaults.models import Subscription, Vault


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
    import re

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
