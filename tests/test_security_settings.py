import json

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticDevice

from portal import second_factor
from tests.conftest import as_verified, verify_session
from vaults import rules
from vaults.errors import (
    MFA_ANSWER_REQUIRED,
    MFA_NOT_SET_UP,
    NOT_ALLOWED,
    SECOND_FACTOR_REQUIRED,
    SECURITY_CANNOT_BE_DISABLED,
    OperationRefused,
)
from vaults.models import AuditEvent, Operation, Outcome, Role, Vault


def refused_with(entry, call, *args, **kwargs):
    with pytest.raises(OperationRefused) as refused:
        call(*args, **kwargs)
    assert refused.value.entry == entry


def url(vault):
    return reverse("security-settings", args=[vault.pk])


@pytest.fixture
def enabled_vault(legacy_vault, admin_user, device):
    return rules.enable_security_settings(
        legacy_vault, as_verified(admin_user, device), "yes", "192.0.2.1"
    )


# The rule layer


def test_enabling_needs_an_answer(legacy_vault, admin_user, device):
    user = as_verified(admin_user, device)
    refused_with(
        MFA_ANSWER_REQUIRED, rules.enable_security_settings, legacy_vault, user, ""
    )
    refused_with(
        MFA_ANSWER_REQUIRED, rules.enable_security_settings, legacy_vault, user, "maybe"
    )
    legacy_vault.refresh_from_db()
    assert not legacy_vault.security_settings_enabled


@pytest.mark.parametrize("role", [Role.CONTRIBUTOR, Role.READER])
def test_enabling_needs_the_admin_role(legacy_vault, make_user, subscription, role):
    user = make_user("bob", role, subscription)
    device = user.totpdevice_set.create(name="phone", confirmed=True)
    refused_with(
        NOT_ALLOWED,
        rules.enable_security_settings,
        legacy_vault,
        as_verified(user, device),
        "yes",
    )


def test_enabling_needs_a_verified_session(legacy_vault, admin_user, device):
    refused_with(
        SECOND_FACTOR_REQUIRED,
        rules.enable_security_settings,
        legacy_vault,
        admin_user,
        "yes",
    )
    admin_user.otp_device = None
    admin_user.is_verified = lambda: False
    refused_with(
        SECOND_FACTOR_REQUIRED,
        rules.enable_security_settings,
        legacy_vault,
        admin_user,
        "yes",
    )


def test_yes_without_an_authenticator_app_is_refused(legacy_vault, admin_user):
    second_factor.regenerate_backup_codes(admin_user)
    backup_only = StaticDevice.objects.get(user=admin_user)

    refused_with(
        MFA_NOT_SET_UP,
        rules.enable_security_settings,
        legacy_vault,
        as_verified(admin_user, backup_only),
        "yes",
    )
    legacy_vault.refresh_from_db()
    assert not legacy_vault.security_settings_enabled


def test_no_without_an_authenticator_app_is_accepted(legacy_vault, admin_user):
    second_factor.regenerate_backup_codes(admin_user)
    backup_only = StaticDevice.objects.get(user=admin_user)

    vault = rules.enable_security_settings(
        legacy_vault, as_verified(admin_user, backup_only), "no"
    )

    assert vault.security_settings_enabled
    assert vault.mfa_answer == "no"


def test_enabling_records_who_when_the_answer_and_an_audit_event(enabled_vault):
    vault = Vault.objects.get(pk=enabled_vault.pk)
    event = AuditEvent.objects.get(operation=Operation.SECURITY_ENABLED)

    assert vault.security_settings_enabled
    assert vault.security_enabled_by.username == "alice"
    assert vault.security_enabled_at is not None
    assert vault.mfa_answer == "yes"
    assert event.outcome == Outcome.ALLOWED
    assert event.actor_label == "alice"
    assert event.client_address == "192.0.2.1"
    assert event.vault_id == vault.pk


def test_enabling_twice_changes_nothing(enabled_vault, admin_user, device):
    first = Vault.objects.get(pk=enabled_vault.pk).security_enabled_at
    rules.enable_security_settings(enabled_vault, as_verified(admin_user, device), "no")

    vault = Vault.objects.get(pk=enabled_vault.pk)
    assert vault.security_enabled_at == first
    assert vault.mfa_answer == "yes"
    assert AuditEvent.objects.filter(operation=Operation.SECURITY_ENABLED).count() == 1


def test_a_refused_disable_is_recorded_and_refused(enabled_vault, admin_user):
    refused_with(
        SECURITY_CANNOT_BE_DISABLED,
        rules.refuse_disabling_security_settings,
        enabled_vault,
        admin_user,
        client_address="192.0.2.9",
    )
    event = AuditEvent.objects.get(operation=Operation.SECURITY_DISABLE_REFUSED)
    assert event.outcome == Outcome.REFUSED
    assert event.error_code == SECURITY_CANNOT_BE_DISABLED.code
    assert event.client_address == "192.0.2.9"


# Every path below the rule layer keeps the settings on


def assert_still_on(vault):
    assert Vault.objects.get(pk=vault.pk).security_settings_enabled


def test_a_model_save_cannot_turn_them_off(enabled_vault):
    enabled_vault.security_settings_enabled = False
    refused_with(SECURITY_CANNOT_BE_DISABLED, enabled_vault.save)
    assert_still_on(enabled_vault)


def test_a_queryset_update_cannot_turn_them_off(enabled_vault):
    refused_with(
        SECURITY_CANNOT_BE_DISABLED,
        Vault.objects.filter(pk=enabled_vault.pk).update,
        security_settings_enabled=False,
    )
    assert_still_on(enabled_vault)


def test_bulk_update_is_stopped_by_the_database(enabled_vault):
    enabled_vault.security_settings_enabled = False
    with pytest.raises(DatabaseError), transaction.atomic():
        Vault.objects.bulk_update([enabled_vault], ["security_settings_enabled"])
    assert_still_on(enabled_vault)


def test_raw_sql_is_stopped_by_the_database_trigger(enabled_vault):
    sql = "UPDATE vaults_vault SET security_settings_enabled = %s WHERE id = %s"
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as c:
        c.execute(sql, [False, enabled_vault.pk])
    assert_still_on(enabled_vault)


def vault_row_turned_off(vault):
    """Return the vault's columns and its stored row with the settings off."""
    columns = [field.column for field in Vault._meta.concrete_fields]
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {', '.join(columns)} FROM vaults_vault WHERE id = %s", [vault.pk]
        )
        row = list(cursor.fetchone())
    row[columns.index("security_settings_enabled")] = False
    return columns, row


def test_raw_sql_cannot_delete_and_insert_the_vault_again_with_them_off(
    enabled_vault,
):
    columns, row = vault_row_turned_off(enabled_vault)
    insert = (
        f"INSERT INTO vaults_vault ({', '.join(columns)}) "
        f"VALUES ({', '.join(['%s'] * len(columns))})"
    )
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as c:
        c.execute("DELETE FROM vaults_vault WHERE id = %s", [enabled_vault.pk])
        c.execute(insert, row)
    assert_still_on(enabled_vault)


def test_an_upsert_cannot_turn_them_off(enabled_vault):
    columns, row = vault_row_turned_off(enabled_vault)
    values = f"({', '.join(columns)}) VALUES ({', '.join(['%s'] * len(columns))})"
    # Each database's own way of writing a row over an existing one.
    replace = {
        "sqlite": f"INSERT OR REPLACE INTO vaults_vault {values}",
        "postgresql": f"INSERT INTO vaults_vault {values} ON CONFLICT (id) DO "
        "UPDATE SET security_settings_enabled = EXCLUDED.security_settings_enabled",
    }[connection.vendor]
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as c:
        c.execute(replace, row)
    assert_still_on(enabled_vault)


def test_loaddata_cannot_turn_them_off(enabled_vault, tmp_path):
    fixture = tmp_path / "off.json"
    fields = {
        "subscription": enabled_vault.subscription_id,
        "name": enabled_vault.name,
        "region": enabled_vault.region,
        "created_at": enabled_vault.created_at.isoformat(),
        "security_settings_enabled": False,
    }
    fixture.write_text(
        json.dumps(
            [{"model": "vaults.vault", "pk": enabled_vault.pk, "fields": fields}]
        )
    )

    with pytest.raises(DatabaseError), transaction.atomic():
        call_command("loaddata", str(fixture), verbosity=0)
    assert_still_on(enabled_vault)


# The blade


def test_a_legacy_vault_shows_the_question_and_a_notice(verified_client, legacy_vault):
    response = verified_client.get(url(legacy_vault))
    body = response.content.decode()

    assert "Have you configured multi-factor authentication?" in body
    assert 'id="state-enable"' in body
    assert "Security settings are off for this vault" in body
    assert "virtual-machine kind" in body


def test_enable_without_an_answer_gets_a_field_error(verified_client, legacy_vault):
    response = verified_client.post(url(legacy_vault), {"state": "enable"})

    assert response.status_code == 200
    assert b"Answer this question before choosing Enable." in response.content
    assert not Vault.objects.get(pk=legacy_vault.pk).security_settings_enabled


def test_save_with_yes_turns_them_on_for_good(verified_client, legacy_vault):
    response = verified_client.post(
        url(legacy_vault), {"mfa_answer": "yes", "state": "enable"}, follow=True
    )
    body = response.content.decode()

    assert "Security settings are on for this vault." in body
    assert "cannot be turned off" in body
    assert "alice" in body
    assert 'id="security-form"' not in body
    assert 'value="disable"' not in body
    assert Vault.objects.get(pk=legacy_vault.pk).security_settings_enabled


def test_yes_without_an_app_shows_a_link_to_set_one_up(
    client, admin_user, legacy_vault
):
    second_factor.regenerate_backup_codes(admin_user)
    verify_session(client, admin_user, StaticDevice.objects.get(user=admin_user))

    response = client.post(url(legacy_vault), {"mfa_answer": "yes", "state": "enable"})

    assert response.status_code == 400
    assert MFA_NOT_SET_UP.message.encode() in response.content
    assert b'href="/accounts/mfa/add/?next=' in response.content
    assert not Vault.objects.get(pk=legacy_vault.pk).security_settings_enabled


def test_no_is_accepted_and_the_blade_says_codes_are_still_needed(
    verified_client, legacy_vault
):
    response = verified_client.post(
        url(legacy_vault), {"mfa_answer": "no", "state": "enable"}, follow=True
    )

    assert b"still need a second factor" in response.content
    assert Vault.objects.get(pk=legacy_vault.pk).mfa_answer == "no"


def test_a_crafted_disable_post_is_refused_and_recorded(verified_client, enabled_vault):
    response = verified_client.post(url(enabled_vault), {"state": "disable"})

    assert response.status_code == 409
    assert SECURITY_CANNOT_BE_DISABLED.message.encode() in response.content
    assert_still_on(enabled_vault)
    event = AuditEvent.objects.get(operation=Operation.SECURITY_DISABLE_REFUSED)
    assert event.client_address == "127.0.0.1"


def test_the_audit_log_blade_shows_the_refusal(verified_client, enabled_vault):
    verified_client.post(url(enabled_vault), {"state": "disable"})

    response = verified_client.get(reverse("audit-log", args=[enabled_vault.pk]))

    assert b"Disable security settings" in response.content
    assert SECURITY_CANNOT_BE_DISABLED.code.encode() in response.content


def test_a_reader_sees_no_form_and_cannot_enable(
    client, make_user, subscription, legacy_vault
):
    reader = make_user("bob", Role.READER, subscription)
    device = reader.totpdevice_set.create(name="phone", confirmed=True)
    verify_session(client, reader, device)

    page = client.get(url(legacy_vault))
    post = client.post(url(legacy_vault), {"mfa_answer": "yes", "state": "enable"})

    assert b"Only an administrator" in page.content
    assert post.status_code == 403
    assert not Vault.objects.get(pk=legacy_vault.pk).security_settings_enabled


def test_an_unverified_session_is_sent_to_the_code_step(signed_in_client, legacy_vault):
    response = signed_in_client.post(
        url(legacy_vault), {"mfa_answer": "no", "state": "enable"}
    )
    assert response.url.startswith("/accounts/verify/")
    assert not Vault.objects.get(pk=legacy_vault.pk).security_settings_enabled


def test_the_properties_blade_links_to_the_security_settings(
    verified_client, legacy_vault
):
    response = verified_client.get(reverse("vault-properties", args=[legacy_vault.pk]))
    assert url(legacy_vault).encode() in response.content
    assert b"Security settings are off for this vault" in response.content


def test_enabling_lifts_weak_policies_to_the_minimum(legacy_vault, admin_user, device):
    from vaults.models import BackupPolicy

    weak = BackupPolicy.objects.create(
        vault=legacy_vault,
        name="Weak",
        daily_days=2,
        weekly_weeks=1,
        monthly_months=0,
        yearly_years=0,
    )
    strong = BackupPolicy.objects.create(vault=legacy_vault, name="Strong")

    rules.enable_security_settings(legacy_vault, as_verified(admin_user, device), "yes")

    weak.refresh_from_db()
    assert (weak.daily_days, weak.weekly_weeks) == (7, 4)
    assert (weak.monthly_months, weak.yearly_years) == (3, 1)
    strong.refresh_from_db()
    assert strong.daily_days == 30
    event = AuditEvent.objects.get(operation=Operation.SECURITY_ENABLED)
    assert "Raised to the minimum retention: Weak" in event.detail
