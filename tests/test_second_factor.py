import base64
import logging
import threading
from datetime import UTC, datetime

import pytest
import time_machine
from django.db import connection
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from portal import second_factor
from tests.conftest import PASSWORD, totp_now, verify_session, wrong_code

VERIFY = "/accounts/verify/"
ADD = "/accounts/mfa/add/"
NOON = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


@pytest.fixture
def password_client(client, device):
    """A session past the password step of a user with an authenticator app."""
    client.post("/accounts/login/", {"username": "alice", "password": PASSWORD})
    return client


@pytest.fixture
def backup_codes(admin_user, device):
    return second_factor.regenerate_backup_codes(admin_user)


def give(client, code):
    return client.post(VERIFY, {"code": code})


def is_verified(client):
    return client.get(reverse("vault-list")).status_code == 200


@pytest.mark.parametrize("shape", ["{} {}", "{}-{}", " {}  {} "])
def test_codes_with_spaces_or_a_dash_are_accepted(password_client, device, shape):
    code = totp_now(device)

    response = give(password_client, shape.format(code[:3], code[3:]))

    assert response.url == reverse("vault-list")
    assert is_verified(password_client)


@pytest.mark.parametrize(
    "code, error",
    [
        ("abcdef", "Enter the 6 digits"),
        ("12345", "Enter the 6 digits"),
        ("1234567", "Enter the 6 digits"),
        ("12 34 5", "Enter the 6 digits"),
        ("", "This field is required."),
    ],
)
def test_malformed_codes_get_a_form_error(password_client, code, error):
    response = give(password_client, code)

    assert response.status_code == 200
    assert error in response.content.decode()
    assert not is_verified(password_client)


def test_a_wrong_code_is_refused(password_client, device):
    response = give(password_client, wrong_code(device))

    assert b"That code is not valid or was already used." in response.content
    assert not is_verified(password_client)


def test_a_totp_code_cannot_be_used_twice(client, password_client, device):
    code = totp_now(device)
    assert give(password_client, code).status_code == 302
    client.post(reverse("logout"))
    client.post("/accounts/login/", {"username": "alice", "password": PASSWORD})

    response = give(client, code)

    assert b"not valid or was already used" in response.content
    assert not is_verified(client)


def test_a_backup_code_works_once(client, password_client, backup_codes):
    code = backup_codes[0]
    assert give(password_client, code.upper()).status_code == 302
    assert is_verified(password_client)
    client.post(reverse("logout"))
    client.post("/accounts/login/", {"username": "alice", "password": PASSWORD})

    response = give(client, code)

    assert b"not valid or was already used" in response.content
    assert StaticToken.objects.count() == len(backup_codes) - 1


def test_wrong_codes_slow_the_device_down_and_say_how_long(password_client, device):
    with time_machine.travel(NOON, tick=False) as clock:
        give(password_client, wrong_code(device))
        give(password_client, wrong_code(device, avoid=1))
        clock.shift(1)
        # A second counted failure: django-otp locks the device for 2 seconds.
        give(password_client, wrong_code(device, avoid=2))
        clock.shift(1)
        locked = give(password_client, totp_now(device))

        clock.shift(1)
        allowed = give(password_client, totp_now(device))

    assert b"Too many wrong codes. Wait 1 s before trying again." in locked.content
    assert allowed.url == reverse("vault-list")


def test_wrong_backup_codes_slow_down_backup_codes(password_client, backup_codes):
    with time_machine.travel(NOON, tick=False) as clock:
        give(password_client, "zzzzzzzz")
        locked = give(password_client, backup_codes[0])
        clock.shift(2)
        allowed = give(password_client, backup_codes[0])

    assert b"Too many wrong codes. Wait 1 s" in locked.content
    assert allowed.url == reverse("vault-list")


def race(work, count=2):
    """Run work in threads that start together; each on its own connection."""
    barrier = threading.Barrier(count)
    results = []

    def run():
        try:
            barrier.wait()
            results.append(work())
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_two_requests_racing_with_one_backup_code_let_only_one_in(admin_user, device):
    assert connection.vendor == "postgresql"
    code = second_factor.regenerate_backup_codes(admin_user)[0]

    results = race(lambda: second_factor.verify_code(admin_user, code)[0])

    assert len(results) == 2
    assert sum(device is not None for device in results) == 1
    assert not StaticToken.objects.filter(
        token=second_factor.hash_backup_code(code)
    ).exists()


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_two_requests_racing_with_one_totp_code_let_only_one_in(admin_user, device):
    assert connection.vendor == "postgresql"
    code = totp_now(device)

    results = race(lambda: second_factor.verify_code(admin_user, code)[0])

    assert sum(device is not None for device in results) == 1


def test_require_mfa_sends_members_without_a_device_to_set_up(client, admin_user):
    admin_user.memberships.update(
        subscription=admin_user.memberships.get().subscription
    )
    subscription = admin_user.memberships.get().subscription
    subscription.require_mfa = True
    subscription.save()
    client.post("/accounts/login/", {"username": "alice", "password": PASSWORD})

    for path in ["/", "/vaults/", "/vaults/add/", VERIFY]:
        response = client.get(path, follow=True)
        assert response.request["PATH_INFO"] == ADD, path

    key = enrol_key(client)
    response = client.post(ADD, {"code": code_for_key(key)})
    assert response.url == reverse("mfa")
    assert client.get("/vaults/").status_code == 200


def test_without_require_mfa_a_member_may_skip_set_up(signed_in_client):
    assert signed_in_client.get("/vaults/").status_code == 200


def enrol_key(client):
    page = client.get(ADD).content.decode()
    start = page.index('id="totp-key">') + len('id="totp-key">')
    return page[start : page.index("<", start)].replace(" ", "")


def code_for_key(key, offset_steps=0):
    padded = key + "=" * (-len(key) % 8)
    totp = TOTP(base64.b32decode(padded))
    totp.time = totp.time + offset_steps * 30
    return f"{totp.token():06d}"


def test_the_key_on_the_page_makes_codes_that_activate_the_device(signed_in_client):
    with time_machine.travel(NOON, tick=False) as clock:
        key = enrol_key(signed_in_client)
        wrong = signed_in_client.post(ADD, {"code": code_for_key(key, 5)})
        assert b"That code does not match" in wrong.content
        assert not TOTPDevice.objects.filter(confirmed=True).exists()

        clock.shift(1)
        right = signed_in_client.post(ADD, {"code": code_for_key(key)})
        assert is_verified(signed_in_client)

    device = TOTPDevice.objects.get(confirmed=True)
    assert right.status_code == 302
    assert base64.b32encode(device.bin_key).decode().rstrip("=") == key


def test_the_set_up_page_draws_its_own_qr_code(signed_in_client):
    page = signed_in_client.get(ADD).content.decode()
    assert "<svg" in page
    assert "http" not in page.split('<div class="qr">')[1].split("</div>")[0]


def test_an_unverified_user_with_a_device_cannot_add_another(password_client):
    response = password_client.get(ADD)
    assert response.url.startswith(VERIFY)
    assert TOTPDevice.objects.count() == 1


def test_removing_a_device_needs_a_verified_session(password_client, device):
    url = reverse("mfa-remove", args=["totp", device.pk])

    response = password_client.post(url)

    assert response.url.startswith(VERIFY)
    assert TOTPDevice.objects.filter(pk=device.pk).exists()


def test_a_verified_user_removes_their_device(verified_client, device):
    response = verified_client.post(
        reverse("mfa-remove", args=["totp", device.pk]), follow=True
    )
    assert b"The device was removed." in response.content
    assert not TOTPDevice.objects.exists()


def test_nobody_removes_another_users_device(verified_client, make_user):
    other = make_user("mallory")
    theirs = TOTPDevice.objects.create(user=other, name="theirs", confirmed=True)

    verified_client.post(reverse("mfa-remove", args=["totp", theirs.pk]))

    assert TOTPDevice.objects.filter(pk=theirs.pk).exists()


def test_new_backup_codes_void_the_old_ones(verified_client, admin_user):
    first = verified_client.post(reverse("mfa-backup-codes"))
    old = first.context["codes"]
    second = verified_client.post(reverse("mfa-backup-codes"))
    new = second.context["codes"]

    assert len(new) == 10
    assert b"will not\n    be shown again" in second.content
    assert second_factor.verify_code(admin_user, new[0])[0] is not None
    assert second_factor.verify_code(admin_user, old[0]) == (None, None)


def test_backup_codes_need_a_verified_session(password_client):
    response = password_client.post(reverse("mfa-backup-codes"))
    assert response.url.startswith(VERIFY)
    assert not StaticDevice.objects.exists()


def test_backup_codes_are_shown_only_once(verified_client):
    codes = verified_client.post(reverse("mfa-backup-codes")).context["codes"]
    page = verified_client.get(reverse("mfa")).content.decode()
    assert "10 unused" in page
    assert not any(code in page for code in codes)


@pytest.fixture
def staff_client(client, admin_user, device):
    admin_user.is_staff = admin_user.is_superuser = True
    admin_user.save()
    return verify_session(client, admin_user, device)


def test_no_key_or_backup_code_appears_in_the_admin_console(
    staff_client, admin_user, device
):
    codes = second_factor.regenerate_backup_codes(admin_user)
    static = StaticDevice.objects.get(user=admin_user)
    secrets = [
        device.key,
        second_factor.totp_key_text(device).replace(" ", ""),
        *codes,
    ]
    pages = [
        reverse("admin:otp_totp_totpdevice_changelist"),
        reverse("admin:otp_totp_totpdevice_change", args=[device.pk]),
        reverse("admin:otp_static_staticdevice_changelist"),
        reverse("admin:otp_static_staticdevice_change", args=[static.pk]),
        reverse("admin:auth_user_change", args=[admin_user.pk]),
    ]

    for url in pages:
        response = staff_client.get(url)
        assert response.status_code == 200, url
        body = response.content.decode().lower()
        assert not [s for s in secrets if s.lower() in body], url


def test_no_key_or_code_is_logged(client, admin_user, caplog):
    caplog.set_level(logging.DEBUG)
    client.force_login(admin_user)
    key = enrol_key(client)
    enrol_code = code_for_key(key)
    client.post(ADD, {"code": enrol_code})
    codes = client.post(reverse("mfa-backup-codes")).context["codes"]
    client.post(reverse("logout"))
    client.post("/accounts/login/", {"username": "alice", "password": PASSWORD})
    client.post(VERIFY, {"code": codes[0]})
    client.post(VERIFY, {"code": codes[0]})
    device = TOTPDevice.objects.get(user=admin_user)

    assert "backup code used" in caplog.text
    logged = caplog.text.lower()
    for secret in [key, device.key, enrol_code, *codes, PASSWORD]:
        assert secret.lower() not in logged


def test_backup_codes_are_kept_only_as_keyed_hashes(admin_user, device):
    codes = second_factor.regenerate_backup_codes(admin_user)

    stored = set(StaticToken.objects.values_list("token", flat=True))

    assert len(stored) == len(codes)
    assert not stored & set(codes)
    assert all(second_factor.hash_backup_code(code) in stored for code in codes)


def test_a_stored_hash_is_not_itself_a_backup_code(password_client, backup_codes):
    stored = StaticToken.objects.values_list("token", flat=True).first()

    give(password_client, stored)

    assert not is_verified(password_client)
    assert StaticToken.objects.count() == len(backup_codes)


def test_codes_stored_in_plain_text_before_are_hashed_by_the_migration(
    password_client, admin_user
):
    from importlib import import_module

    from django.apps import apps

    static = StaticDevice.objects.create(user=admin_user, name="Backup codes")
    StaticToken.objects.create(device=static, token="abcd2345")
    migration = import_module("portal.migrations.0001_hash_backup_codes")

    migration.hash_plain_codes(apps, None)
    migration.hash_plain_codes(apps, None)

    stored = StaticToken.objects.get().token
    assert stored == second_factor.hash_backup_code("abcd2345")
    assert give(password_client, "abcd2345").status_code == 302
    assert is_verified(password_client)
