import pytest
from playwright.sync_api import expect

from tests.conftest import PASSWORD, totp_now
from vaults.models import Vault

pytestmark = pytest.mark.browser


def test_an_administrator_signs_in_creates_a_vault_and_opens_it(
    portal, admin_user, device, vault
):
    page = portal.page

    portal.sign_in_password("alice", PASSWORD)
    expect(page.locator("h1")).to_have_text("Verify your identity")
    portal.shot("code-step")
    portal.give_code(totp_now(device))

    expect(page.locator(".blade-header h1")).to_have_text("Recovery Services vaults")
    expect(page.locator("table.grid")).to_contain_text("prod-vault")
    page.click("a.command:has-text('Add')")
    page.fill("#id_name", "branch-office")
    page.select_option("#id_region", "northeurope")
    page.click("button:has-text('Create')")

    created = Vault.objects.get(name="branch-office")
    expect(page).to_have_url(f"{portal.base}/vaults/{created.pk}/")
    essentials = page.locator("dl.essentials")
    expect(essentials).to_contain_text("North Europe")
    expect(essentials).to_contain_text("Enabled")
    expect(page.locator(".notice")).to_contain_text("branch-office was created")
    portal.shot("overview")
