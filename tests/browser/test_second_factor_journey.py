import base64
import re
import time

import pytest
from django_otp.oath import TOTP
from playwright.sync_api import expect

from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def code_from_key(key_text, offset_steps=0):
    key = key_text.replace(" ", "")
    totp = TOTP(base64.b32decode(key + "=" * (-len(key) % 8)))
    totp.time = totp.time + offset_steps * 30
    return f"{totp.token():06d}"


def error_text(page):
    return page.locator(".invalid-feedback").inner_text()


def test_enrol_then_sign_in_with_codes_replays_and_throttling(
    portal, admin_user, subscription
):
    subscription.require_mfa = True
    subscription.save()
    page = portal.page

    portal.sign_in_password("alice", PASSWORD)
    expect(page.locator("h1")).to_have_text("Add an authenticator app")
    key = page.locator("#totp-key").inner_text()
    portal.shot("enrol")
    first_code = code_from_key(key)
    page.fill("#id_code", first_code)
    page.click("button:has-text('Activate')")
    expect(page.locator(".notice")).to_contain_text("authenticator app is set up")

    page.click(".topbar-user a:has-text('alice')")
    page.click("button:has-text('New backup codes')")
    codes = page.locator("#backup-codes code").all_inner_texts()
    assert len(codes) == 10
    portal.shot("backup-codes")
    portal.sign_out()

    # The code that activated the device is spent.
    portal.sign_in_password("alice", PASSWORD)
    portal.give_code(first_code)
    expect(page.locator(".invalid-feedback")).to_contain_text("already used")
    portal.shot("replayed-code")
    time.sleep(1.1)  # django-otp locks the device for a second after a miss
    portal.give_code(code_from_key(key, offset_steps=1))
    expect(page.locator(".blade-header h1")).to_have_text("Recovery Services vaults")
    portal.sign_out()

    portal.sign_in_password("alice", PASSWORD)
    portal.give_code(codes[0])
    expect(page.locator(".blade-header h1")).to_have_text("Recovery Services vaults")
    portal.sign_out()
    portal.sign_in_password("alice", PASSWORD)
    portal.give_code(codes[0])
    expect(page.locator(".invalid-feedback")).to_contain_text("already used")

    for attempt in range(5):
        portal.give_code(f"00000{attempt}")
        if "Too many" in error_text(page):
            break
    assert re.search(r"Too many wrong codes\. Wait \d+ s", error_text(page))
    portal.shot("throttled")
