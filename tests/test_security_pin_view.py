from django.urls import reverse

from vaults.models import SecurityPin


def test_generate_shows_a_pin_once(verified_client, vault):
    url = reverse("security-pin", args=[vault.pk])

    response = verified_client.post(url)
    pin = response.context["pin_text"]

    assert pin.encode() in response.content
    assert response["Cache-Control"].startswith("max-age=0")
    again = verified_client.get(url)
    assert pin.encode() not in again.content
    assert SecurityPin.objects.count() == 1


def test_the_blade_refreshes_as_json(verified_client, vault):
    url = reverse("security-pin", args=[vault.pk])
    response = verified_client.post(url, HTTP_ACCEPT="application/json")
    body = response.json()
    assert len(body["pin"]) == 8
    assert body["seconds_left"] == 300


def test_an_unverified_session_is_sent_to_the_code_step(
    signed_in_client, vault, device
):
    url = reverse("security-pin", args=[vault.pk])
    response = signed_in_client.post(url)
    assert response.status_code == 302
    assert response.url.startswith(reverse("otp-verify"))
    assert not SecurityPin.objects.exists()


def test_a_reader_is_refused_with_the_catalogue_message(
    client, make_user, subscription, vault
):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from tests.conftest import verify_session
    from vaults.models import Role

    reader = make_user("bob", Role.READER, subscription)
    device = TOTPDevice.objects.create(user=reader, name="p", confirmed=True)
    verify_session(client, reader, device)

    response = client.post(
        reverse("security-pin", args=[vault.pk]), HTTP_ACCEPT="application/json"
    )
    assert response.status_code == 403
    assert response.json()["code"] == "SR-FORBIDDEN"
