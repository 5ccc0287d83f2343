"""Every blade fits a phone-sized window: nothing runs off the side."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests.conftest import PASSWORD, totp_now
from vaults.models import ItemState, ProtectedItem, RecoveryPoint

pytestmark = pytest.mark.browser

BLADES = [
    "vault-overview",
    "backup-items",
    "deleted-items",
    "backup-policies",
    "backup-infrastructure",
    "vault-properties",
    "security-settings",
    "backup-alerts",
    "audit-log",
]
LONG_SOURCE = r"D:\Shares\Finance\Quarterly reports for the board and auditors"


@pytest.fixture
def busy_vault(vault, policy, make_server):
    """Give the vault rows wide enough to push a careless layout sideways."""
    server = make_server(vault, "fileserver-with-a-long-name-01", version="2.0.9000")
    for state in (ItemState.PROTECTED, ItemState.STOPPED):
        item = ProtectedItem.objects.create(
            server=server, source=f"{LONG_SOURCE} {state}", state=state, policy=policy
        )
        RecoveryPoint.objects.create(item=item, manifest_blob="m", size=10**9)
    return vault


def box(page, selector):
    return page.locator(selector).first.bounding_box()


def test_every_blade_fits_420_pixels_with_its_menu_above_it(
    portal, admin_user, device, busy_vault
):
    page = portal.page
    portal.sign_in_password("alice", PASSWORD)
    portal.give_code(totp_now(device))
    expect(page.locator(".blade-header h1")).to_have_text("Recovery Services vaults")

    page.set_viewport_size({"width": 420, "height": 860})
    for name in BLADES:
        portal.open(reverse(name, args=[busy_vault.pk]))
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 420, f"{name} is {width} px wide"
        menu, blade = box(page, ".resource-menu"), box(page, ".blade")
        assert menu["y"] + menu["height"] <= blade["y"], name
    portal.shot("items-420")

    page.set_viewport_size({"width": 1280, "height": 860})
    portal.open(reverse("backup-items", args=[busy_vault.pk]))
    menu, blade = box(page, ".resource-menu"), box(page, ".blade")
    assert menu["x"] + menu["width"] <= blade["x"]
