import pytest
from playwright.sync_api import expect

from tests.conftest import PASSWORD, totp_now
from vaults.models import AuditEvent, Operation, Vault

pytestmark = pytest.mark.browser


def test_enable_security_settings_once_and_for_good(
    portal, admin_user, device, legacy_vault
):
    page = portal.page
    portal.sign_in_password("alice", PASSWORD)
    portal.give_code(totp_now(device))
    portal.open(f"/vaults/{legacy_vault.pk}/properties/")
    page.click(".property-section a:has-text('Update')")

    enable = page.locator("#state-enable")
    expect(enable).to_be_disabled()
    portal.shot("no-answer")
    page.select_option("#id_mfa_answer", "yes")
    expect(enable).to_be_enabled()
    page.click("label[for=state-enable]")
    expect(enable).to_be_checked()
    page.click("button:has-text('Save')")
    expect(page.locator(".notice-success").first).to_contain_text("are on")

    page.reload()
    essentials = page.locator("dl.essentials")
    expect(essentials).to_contain_text("alice")
    expect(essentials).to_contain_text("Yes")
    expect(essentials).to_contain_text("UTC")
    expect(page.locator("#security-form")).to_have_count(0)
    expect(page.locator("input[value=disable]")).to_have_count(0)
    portal.shot("enabled")

    token = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
    refused = page.request.post(
        page.url,
        form={"csrfmiddlewaretoken": token, "mfa_answer": "", "state": "disable"},
        headers={"Referer": page.url},
    )
    assert refused.status == 409
    assert "cannot be turned off" in refused.text()
    assert Vault.objects.get(pk=legacy_vault.pk).security_settings_enabled
    assert AuditEvent.objects.filter(
        vault=legacy_vault, operation=Operation.SECURITY_DISABLE_REFUSED
    ).exists()

    page.set_content(refused.text())
    portal.shot("refused")
