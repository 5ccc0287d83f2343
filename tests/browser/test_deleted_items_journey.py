import pytest
from playwright.sync_api import expect

from tests.conftest import PASSWORD, totp_now
from vaults.models import ItemState, ProtectedItem

pytestmark = pytest.mark.browser


def test_delete_with_typed_confirmation_then_undelete(
    portal, admin_user, device, vault, make_server
):
    item = ProtectedItem.objects.create(server=make_server(vault), source="/srv/data")
    page = portal.page
    portal.sign_in_password("alice", PASSWORD)
    portal.give_code(totp_now(device))
    portal.open(f"/vaults/{vault.pk}/items/{item.pk}/stop/")

    page.check("#id_delete_data")
    page.fill("#id_confirm_name", "/srv/dat")
    page.click("button:has-text('Stop backup')")
    expect(page.locator(".invalid-feedback")).to_contain_text("Type /srv/data exactly")
    portal.shot("confirmation-refused")
    item.refresh_from_db()
    assert item.state == ItemState.PROTECTED

    page.check("#id_delete_data")
    page.fill("#id_confirm_name", "/srv/data")
    page.click("button:has-text('Stop backup')")
    page.wait_for_url(f"**/vaults/{vault.pk}/deleted-items/")
    row = page.locator("tr", has_text="/srv/data")
    expect(row).to_contain_text("13 days 23 h")
    portal.shot("deleted-items")

    row.locator("button:has-text('Undelete')").click()
    expect(page.locator(".notice-success")).to_contain_text("is back")
    expect(page.locator("td.empty")).to_contain_text("No deleted items")
    portal.shot("undeleted")
    item.refresh_from_db()
    assert item.state == ItemState.STOPPED
