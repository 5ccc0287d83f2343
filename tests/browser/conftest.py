"""Drive Debian's Chromium through Playwright against the live test server."""

import os
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TIMEOUT_MS = 10_000


@pytest.fixture(autouse=True)
def allow_orm_beside_playwright(monkeypatch):
    # Playwright's sync API keeps an event loop running in this thread, which
    # makes Django refuse ORM calls from the test body without this switch.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def chromium_or_skip():
    if CHROMIUM.exists():
        return
    message = f"Browser tests need Debian's Chromium at {CHROMIUM}."
    if os.environ.get("CI") == "true":
        pytest.fail(f"{message} CI=true makes a missing browser a failure.")
    pytest.skip(message)


@pytest.fixture
def page(transactional_db, tmp_path):
    """Open a page in a fresh Chromium profile that lives in the test's tmp_path."""
    chromium_or_skip()
    from playwright.sync_api import sync_playwright

    # Started per test and stopped before the database is flushed, so the
    # flush does not run beside Playwright's event loop.
    with sync_playwright() as driver:
        context = driver.chromium.launch_persistent_context(
            tmp_path / "chromium-profile",
            executable_path=str(CHROMIUM),
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 1280, "height": 860},
        )
        context.set_default_timeout(TIMEOUT_MS)
        yield context.pages[0] if context.pages else context.new_page()
        context.close()


class Portal:
    """A person at the browser: open pages, sign in, keep screenshots."""

    def __init__(self, page, live_server, tmp_path):
        self.page = page
        self.base = live_server.url
        self.shots = tmp_path / "screenshots"
        self.shots.mkdir()

    def open(self, path):
        self.page.goto(f"{self.base}{path}")
        return self.page

    def shot(self, name):
        path = self.shots / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def sign_in_password(self, username, password):
        self.open("/accounts/login/")
        self.page.fill("#id_username", username)
        self.page.fill("#id_password", password)
        self.page.click("button:has-text('Next')")

    def give_code(self, code):
        self.page.fill("#id_code", code)
        self.page.click("button:has-text('Verify')")

    def sign_out(self):
        self.page.click(".topbar-user button:has-text('Sign out')")
        self.page.wait_for_url("**/accounts/login/")


@pytest.fixture
def portal(page, live_server, tmp_path):
    return Portal(page, live_server, tmp_path)
