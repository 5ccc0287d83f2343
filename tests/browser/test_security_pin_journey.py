import pytest
from playwright.sync_api import expect

from tests.conftest import PASSWORD, totp_now
from vaults.models import AuditEvent, SecurityPin

pytestmark = pytest.mark.browser


def test_a_fresh_pin_appears_when_the_countdown_ends(
    portal, admin_user, device, vault, settings
):
    # Only this test shortens the validity, so the countdown ends quickly.
    settings.STRONGROOM = {**settings.STRONGROOM, "PIN_VALIDITY_SECONDS": 3}
    page = portal.page
    portal.sign_in_password("alice", PASSWORD)
    portal.give_code(totp_now(device))
    portal.open(f"/vaults/{vault.pk}/properties/")

    page.click("#generate-pin")
    pin = page.locator("#pin")
    first = pin.inner_text()
    assert len(first) == 8 and first.isdigit()
    expect(page.locator("#pin-countdown")).to_contain_text("0:0")
    portal.shot("pin")

    expect(pin).not_to_have_text(first, timeout=10_000)
    second = pin.inner_text()
    assert len(second) == 8 and second.isdigit()
    portal.shot("fresh-pin")

    assert SecurityPin.objects.filter(vault=vault).count() == 2
    assert SecurityPin.objects.filter(vault=vault, voided_at__isnull=True).count() == 1
    assert AuditEvent.objects.filter(operation="pin-generated").count() == 2
    page.reload()
    assert first not in page.content() and second not in page.content()
