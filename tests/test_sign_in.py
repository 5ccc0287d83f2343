from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import time_machine
from django.urls import reverse

from portal import throttle
from tests.conftest import PASSWORD, totp_now

LOGIN = "/accounts/login/"
VERIFY = "/accounts/verify/"
NOON = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def sign_in(client, username="alice", password=PASSWORD, address="10.0.0.1", **data):
    return client.post(
        LOGIN, {"username": username, "password": password, **data}, REMOTE_ADDR=address
    )


def next_of(response):
    return parse_qs(urlsplit(response.url).query)["next"][0]


def test_a_user_with_a_device_is_asked_for_a_code_after_the_password(client, device):
    response = sign_in(client)

    assert response.status_code == 302
    assert response.url.startswith(VERIFY)
    assert next_of(response) == reverse("vault-list")
    assert client.get(VERIFY).status_code == 200


def test_a_user_without_a_device_goes_to_the_vaults(client, admin_user):
    response = sign_in(client)
    assert response.url == reverse("vault-list")
    assert client.get(response.url).status_code == 200


def test_a_wrong_password_says_so_and_signs_nobody_in(client, admin_user):
    response = sign_in(client, password="wrong horse")

    assert response.status_code == 200
    assert b"Please enter a correct username and password." in response.content
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/vaults/",
        "//evil.example/",
        "http://evil.example",
        "javascript:alert(1)",
        "/\\evil.example",
    ],
)
def test_next_outside_this_site_is_not_followed(client, device, target):
    response = sign_in(client, next=target)
    assert next_of(response) == reverse("vault-list")

    code = client.post(VERIFY, {"code": totp_now(device), "next": target})
    assert code.url == reverse("vault-list")


def test_next_inside_this_site_survives_both_steps_with_its_query(client, device):
    target = "/vaults/?q=prod&page=2"

    response = sign_in(client, next=target)
    assert next_of(response) == target

    code = client.post(VERIFY, {"code": totp_now(device), "next": next_of(response)})
    assert code.url == target


@pytest.mark.parametrize(
    "path", ["/", "/vaults/", "/vaults/add/", "/accounts/mfa/", "/admin/"]
)
def test_the_code_step_cannot_be_skipped_by_going_to_a_page(client, device, path):
    sign_in(client)

    response = client.get(path, follow=True)

    assert response.redirect_chain, path
    assert response.request["PATH_INFO"] == VERIFY, path
    assert b"Verify your identity" in response.content


def test_a_critical_view_sends_an_unverified_session_to_the_code_step_and_back(
    client, device, legacy_vault
):
    sign_in(client)
    url = reverse("security-settings", args=[legacy_vault.pk])

    response = client.get(url)
    assert response.url.startswith(VERIFY)

    code = client.post(VERIFY, {"code": totp_now(device), "next": next_of(response)})
    assert code.url == url
    assert client.get(url).status_code == 200


def test_the_session_stays_verified_across_session_key_rotations(client, device):
    client.get(LOGIN)
    anonymous_key = client.session.session_key
    sign_in(client)
    password_key = client.session.session_key
    client.post(VERIFY, {"code": totp_now(device)})
    verified_key = client.session.session_key

    assert len({anonymous_key, password_key, verified_key}) == 3
    assert client.get(reverse("vault-list")).status_code == 200

    # Django rotates the key again, e.g. when the password changes.
    session = client.session
    session.cycle_key()
    client.cookies["sessionid"] = session.session_key
    assert client.get(reverse("vault-list")).status_code == 200


def test_sign_out_ends_the_session(client, device):
    sign_in(client)
    client.post(VERIFY, {"code": totp_now(device)})
    old_key = client.session.session_key

    response = client.post(reverse("logout"), follow=True)

    assert b"You are signed out." in response.content
    assert client.get(reverse("vault-list")).url.startswith(LOGIN)
    client.cookies["sessionid"] = old_key
    assert client.get(reverse("vault-list")).url.startswith(LOGIN)


def test_sign_out_needs_a_post(signed_in_client):
    client = signed_in_client
    assert client.get(reverse("logout")).status_code == 405


def fail_times(client, count, username="alice", address="10.0.0.1"):
    for _ in range(count):
        response = sign_in(client, username, "wrong horse", address)
        assert b"Too many" not in response.content
    return response


def test_wrong_passwords_block_the_user_name_from_any_address(client, admin_user):
    with time_machine.travel(NOON, tick=False):
        fail_times(client, throttle.MAX_FAILURES)

        response = sign_in(client, address="192.0.2.7")

    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    assert b"Too many failed sign-in attempts. Try again in 15 min 0 s." in (
        response.content
    )


def test_wrong_passwords_block_the_address_for_every_user_name(
    client, admin_user, make_user
):
    with time_machine.travel(NOON, tick=False):
        for number in range(throttle.MAX_FAILURES):
            sign_in(client, f"guess{number}", "wrong", address="198.51.100.9")

        blocked = sign_in(client, address="198.51.100.9")
        elsewhere = sign_in(client, address="203.0.113.5")

    assert b"Too many failed sign-in attempts" in blocked.content
    assert elsewhere.status_code == 302


def test_four_wrong_passwords_do_not_block(client, admin_user):
    with time_machine.travel(NOON, tick=False):
        fail_times(client, throttle.MAX_FAILURES - 1)
        assert sign_in(client).status_code == 302


def test_the_block_ends_when_its_window_does(client, admin_user):
    with time_machine.travel(NOON, tick=False) as clock:
        fail_times(client, throttle.MAX_FAILURES)

        clock.move_to(NOON + timedelta(seconds=throttle.WINDOW_SECONDS - 1))
        last_second = sign_in(client)
        assert b"Try again in 1 s." in last_second.content

        clock.move_to(NOON + timedelta(seconds=throttle.WINDOW_SECONDS))
        assert sign_in(client).status_code == 302


def test_the_wait_is_shown_in_minutes_and_seconds(client, admin_user):
    with time_machine.travel(NOON, tick=False) as clock:
        fail_times(client, throttle.MAX_FAILURES)
        clock.move_to(NOON + timedelta(minutes=10, seconds=30))

        response = sign_in(client)

    assert b"Try again in 4 min 30 s." in response.content


def test_a_successful_sign_in_clears_the_users_failures(client, admin_user):
    with time_machine.travel(NOON, tick=False):
        fail_times(client, throttle.MAX_FAILURES - 1)
        assert sign_in(client).status_code == 302
        client.post(reverse("logout"))

        # Failures from other addresses would still add up to a block only
        # if the earlier ones were kept.
        fail_times(client, throttle.MAX_FAILURES - 1, address="192.0.2.8")
        assert sign_in(client, address="192.0.2.8").status_code == 302
