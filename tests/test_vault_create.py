import pytest
from django.urls import reverse

from vaults.models import AuditEvent, BackupPolicy, Role, Subscription, Vault


def post(client, subscription, name, region="westeurope"):
    return client.post(
        reverse("vault-create"),
        {"subscription": subscription.pk, "name": name, "region": region},
    )


def test_it_creates_a_vault_with_security_settings_on(verified_client, subscription):
    response = post(verified_client, subscription, "backup-01")

    vault = Vault.objects.get(name="backup-01")
    assert response.status_code == 302
    assert response.url == reverse("vault-overview", args=[vault.pk])
    assert vault.security_settings_enabled
    assert vault.security_enabled_at is not None
    assert AuditEvent.objects.filter(vault=vault, operation="vault-created").exists()


def test_a_new_vault_has_a_default_policy_at_the_minimum_or_above(
    verified_client, subscription
):
    post(verified_client, subscription, "backup-01")

    policy = BackupPolicy.objects.get(vault__name="backup-01")
    assert policy.name == "DefaultPolicy"
    assert policy.daily_days >= 7 and policy.weekly_weeks >= 4
    assert policy.monthly_months >= 3 and policy.yearly_years >= 1


@pytest.mark.parametrize(
    "name, error",
    [
        ("a", "at least 2"),
        ("1vault", "start with a letter"),
        ("my vault", "letters, digits and hyphens"),
        ("vault_01", "letters, digits and hyphens"),
        ("v" * 51, "at most 50"),
        ("", "required"),
    ],
)
def test_it_refuses_bad_names_with_a_field_error(
    verified_client, subscription, name, error
):
    response = post(verified_client, subscription, name)

    assert response.status_code == 200
    assert error in response.content.decode()
    assert not Vault.objects.exists()


def test_names_are_unique_in_a_subscription_ignoring_case(
    verified_client, subscription, vault
):
    response = post(verified_client, subscription, "PROD-vault")
    assert b"already exists" in response.content
    assert Vault.objects.count() == 1


def test_the_same_name_is_fine_in_another_subscription(
    verified_client, admin_user, vault
):
    other = Subscription.objects.create(name="Fabrikam")
    admin_user.memberships.create(subscription=other, role=Role.ADMIN)
    post(verified_client, other, "prod-vault")
    assert Vault.objects.filter(name="prod-vault").count() == 2


def test_a_reader_cannot_create_in_their_subscription(client, make_user, subscription):
    reader = make_user("bob", Role.READER, subscription)
    client.force_login(reader)
    response = post(client, subscription, "sneaky")
    assert response.status_code == 200
    assert not Vault.objects.exists()


def test_the_rule_refuses_a_subscription_the_user_only_reads(make_user, subscription):
    from vaults import rules
    from vaults.errors import OperationRefused

    reader = make_user("bob", Role.READER, subscription)
    with pytest.raises(OperationRefused):
        rules.create_vault(reader, subscription, "sneaky", "westeurope")
    assert not Vault.objects.exists()
