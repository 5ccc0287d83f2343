import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from tests.conftest import PASSWORD, verify_session
from vaults.models import AuditEvent, Operation, Outcome, Vault

ADMIN = "/admin/"


@pytest.fixture
def staff(admin_user):
    admin_user.is_staff = admin_user.is_superuser = True
    admin_user.save()
    return admin_user


@pytest.fixture
def staff_client(client, staff, device):
    return verify_session(client, staff, device)


def final_path(response):
    return response.request["PATH_INFO"]


def test_anonymous_visitors_go_to_the_portal_sign_in(client, db):
    response = client.get(ADMIN, follow=True)
    assert final_path(response) == "/accounts/login/"


def test_staff_without_a_code_go_to_the_code_step(client, staff, device):
    client.force_login(staff)
    response = client.get(ADMIN, follow=True)
    assert final_path(response) == "/accounts/verify/"


def test_the_admin_login_form_cannot_be_used_to_sign_in(client, staff, device):
    response = client.post(
        "/admin/login/", {"username": "alice", "password": PASSWORD, "otp_token": ""}
    )
    assert response.url.startswith("/accounts/login/")
    assert "_auth_user_id" not in client.session


def test_verified_staff_reach_the_console(staff_client):
    response = staff_client.get(ADMIN)
    assert response.status_code == 200
    assert b"Strongroom administration" in response.content


def test_verified_users_who_are_not_staff_are_refused(verified_client):
    assert verified_client.get(ADMIN, follow=True).status_code == 403


@pytest.fixture
def event(vault, staff):
    return AuditEvent.objects.create(
        vault=vault,
        actor=staff,
        actor_label="alice",
        operation=Operation.SECURITY_ENABLED,
        outcome=Outcome.ALLOWED,
    )


def test_audit_events_are_listed_and_read_only(staff_client, event):
    change = reverse("admin:vaults_auditevent_change", args=[event.pk])

    assert (
        staff_client.get(reverse("admin:vaults_auditevent_changelist")).status_code
        == 200
    )
    page = staff_client.get(change)
    assert page.status_code == 200
    assert b'name="_save"' not in page.content
    assert staff_client.post(change, {"actor_label": "x"}).status_code == 403
    assert staff_client.get(reverse("admin:vaults_auditevent_add")).status_code == 403
    delete = reverse("admin:vaults_auditevent_delete", args=[event.pk])
    assert staff_client.post(delete, {"post": "yes"}).status_code == 403
    assert AuditEvent.objects.get(pk=event.pk).actor_label == "alice"


def vault_form(vault, **changes):
    data = {
        "name": vault.name,
        "region": vault.region,
        "email_notifications_enabled": "on",
        "alert_recipients-TOTAL_FORMS": "0",
        "alert_recipients-INITIAL_FORMS": "0",
        "alert_recipients-MIN_NUM_FORMS": "0",
        "alert_recipients-MAX_NUM_FORMS": "1000",
    }
    data.update(changes)
    return data


def test_a_crafted_post_to_the_vault_page_cannot_turn_settings_off(staff_client, vault):
    url = reverse("admin:vaults_vault_change", args=[vault.pk])
    page = staff_client.get(url).content.decode()
    assert 'name="security_settings_enabled"' not in page

    data = vault_form(vault, security_settings_enabled="", mfa_answer="no")
    response = staff_client.post(url, data)

    assert response.status_code == 302
    vault.refresh_from_db()
    assert vault.security_settings_enabled
    assert vault.mfa_answer == ""


def test_the_admin_cannot_turn_settings_on_past_the_question(
    staff_client, legacy_vault
):
    url = reverse("admin:vaults_vault_change", args=[legacy_vault.pk])
    staff_client.post(url, vault_form(legacy_vault, security_settings_enabled="on"))
    legacy_vault.refresh_from_db()
    assert not legacy_vault.security_settings_enabled


def add_vault(staff_client, subscription, name, **extra):
    data = vault_form(Vault(name=name, region="westeurope"), **extra)
    data["subscription"] = subscription.pk
    return staff_client.post(reverse("admin:vaults_vault_add"), data)


def test_importing_a_legacy_vault_in_the_admin_leaves_settings_off(
    staff_client, subscription
):
    response = add_vault(
        staff_client, subscription, "imported", created_before_security_features="on"
    )

    assert response.status_code == 302
    vault = Vault.objects.get(name="imported")
    assert vault.created_before_security_features
    assert not vault.security_settings_enabled


def test_a_vault_added_in_the_admin_starts_with_settings_on(
    staff_client, subscription, staff
):
    add_vault(staff_client, subscription, "fresh")

    vault = Vault.objects.get(name="fresh")
    assert vault.security_settings_enabled
    assert vault.security_enabled_by == staff


def test_import_legacy_vault_command(subscription, capsys):
    call_command("import_legacy_vault", "Contoso", "old-one", "--region", "eastus")

    vault = Vault.objects.get(name="old-one")
    assert not vault.security_settings_enabled
    assert vault.created_before_security_features
    assert vault.region == "eastus"
    assert "security settings are off" in capsys.readouterr().out


@pytest.mark.parametrize(
    "args, message",
    [
        (["Nowhere", "old-one"], "No subscription named"),
        (["Contoso", "1bad"], "must start with a letter"),
        (["Contoso", "prod-vault"], "already has a vault named"),
    ],
)
def test_import_legacy_vault_refuses_bad_input(vault, args, message):
    with pytest.raises(CommandError, match=message):
        call_command("import_legacy_vault", *args)
    assert Vault.objects.count() == 1


def test_an_imported_vault_can_then_be_enabled_in_the_portal(
    verified_client, subscription
):
    call_command("import_legacy_vault", "Contoso", "old-one")
    vault = Vault.objects.get(name="old-one")

    verified_client.post(
        reverse("security-settings", args=[vault.pk]),
        {"mfa_answer": "yes", "state": "enable"},
    )

    vault.refresh_from_db()
    assert vault.security_settings_enabled
    assert vault.audit_events.filter(operation=Operation.SECURITY_ENABLED).exists()


def test_the_admin_refuses_a_vault_name_the_portal_would_refuse(
    staff_client, subscription
):
    response = add_vault(staff_client, subscription, "1 bad name")

    assert response.status_code == 200
    assert b"must start with a letter" in response.content
    assert not Vault.objects.filter(name="1 bad name").exists()


def test_a_vault_with_settings_on_cannot_be_deleted_in_the_console(staff_client, vault):
    url = reverse("admin:vaults_vault_delete", args=[vault.pk])

    assert staff_client.get(url).status_code == 403
    assert staff_client.post(url, {"post": "yes"}).status_code == 403
    changelist = staff_client.post(
        reverse("admin:vaults_vault_changelist"),
        {"action": "delete_selected", "_selected_action": [vault.pk], "post": "yes"},
    )
    assert changelist.status_code in (200, 302)
    assert Vault.objects.filter(pk=vault.pk).exists()
