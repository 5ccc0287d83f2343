"""Change Passphrase: supported version first, then a live PIN, alert either way."""

from datetime import timedelta

import pytest
import time_machine

from agent.crypto import ScryptCost, wrap_data_key
from vaults import rules, server_rules
from vaults.errors import OperationRefused
from vaults.models import (
    AuditEvent,
    Notification,
    Operation,
    Outcome,
    SecurityPin,
    ServerKind,
)

CHEAP = ScryptCost(n=1024)


def new_envelope():
    return wrap_data_key("a passphrase of some length", cost=CHEAP)[1]


@pytest.fixture
def pin(vault, admin_user):
    admin_user.is_verified = lambda: True

    def generate():
        return rules.generate_pin(vault, admin_user)[0]

    return generate


@pytest.fixture
def server_with_key(vault, make_credentialed_server):
    def make(name="fileserver-01", **fields):
        server, credential = make_credentialed_server(
            vault, name, key_envelope=new_envelope(), **fields
        )
        return server

    return make


def refusals():
    return AuditEvent.objects.filter(
        operation=Operation.PASSPHRASE_CHANGED, outcome=Outcome.REFUSED
    )


def test_a_valid_pin_replaces_the_envelope_and_alerts(server_with_key, pin):
    server = server_with_key()
    replacement = new_envelope()

    server_rules.change_passphrase(server, pin(), replacement)

    server.refresh_from_db()
    assert server.key_envelope == replacement
    assert SecurityPin.objects.get().used_at is not None
    event = AuditEvent.objects.get(operation=Operation.PASSPHRASE_CHANGED)
    assert event.outcome == Outcome.ALLOWED
    assert event.actor_label == "server fileserver-01"
    assert Notification.objects.filter(event=event).exists()


def test_a_wrong_pin_is_100130_and_keeps_the_envelope(server_with_key, pin):
    server = server_with_key()
    before = server.key_envelope
    real = pin()
    wrong = "00000000" if real != "00000000" else "11111111"

    with pytest.raises(OperationRefused) as refused:
        server_rules.change_passphrase(server, wrong, new_envelope())

    assert refused.value.entry.code == "100130"
    server.refresh_from_db()
    assert server.key_envelope == before
    assert refusals().get().error_code == "100130"
    assert Notification.objects.filter(event__in=refusals()).count() == 1
    assert SecurityPin.objects.get().failed_attempts == 1


def test_an_expired_pin_is_100130(server_with_key, pin):
    server = server_with_key()
    text = pin()
    created = SecurityPin.objects.get().created_at

    expired = time_machine.travel(created + timedelta(minutes=5), tick=False)
    with expired, pytest.raises(OperationRefused) as refused:
        server_rules.change_passphrase(server, text, new_envelope())

    assert refused.value.entry.code == "100130"


def test_a_pin_one_second_before_expiry_works(server_with_key, pin):
    server = server_with_key()
    text = pin()
    created = SecurityPin.objects.get().created_at

    with time_machine.travel(created + timedelta(seconds=299), tick=False):
        server_rules.change_passphrase(server, text, new_envelope())


def test_a_pin_works_only_once(server_with_key, pin):
    server = server_with_key()
    text = pin()
    server_rules.change_passphrase(server, text, new_envelope())

    with pytest.raises(OperationRefused) as refused:
        server_rules.change_passphrase(server, text, new_envelope())

    assert refused.value.entry.code == "100130"


@pytest.mark.parametrize(
    "kind, agent_version, product_version",
    [
        (ServerKind.AGENT, "2.0.9000", ""),
        (ServerKind.AGENT, "2.0.9051", ""),
        (ServerKind.BACKUP_SERVER, "2.0.9052", "Update 0"),
        (ServerKind.BACKUP_SERVER, "2.0.9000", "Update 1"),
        (ServerKind.DPM, "2.0.9052", "2012 R2 UR11"),
        (ServerKind.DPM, "2.0.9052", "2016 UR1"),
    ],
)
def test_an_unsupported_client_gets_120002_before_the_pin_is_checked(
    server_with_key, pin, kind, agent_version, product_version
):
    server = server_with_key(
        kind=kind, agent_version=agent_version, product_version=product_version
    )
    text = pin()

    with pytest.raises(OperationRefused) as refused:
        server_rules.change_passphrase(server, text, new_envelope())

    assert refused.value.entry.code == "120002"
    # The PIN is neither spent nor counted as a wrong try.
    assert SecurityPin.objects.get().used_at is None
    assert SecurityPin.objects.get().failed_attempts == 0
    assert refusals().get().error_code == "120002"
    assert Notification.objects.filter(event__in=refusals()).count() == 1


def test_an_unsupported_client_with_a_wrong_pin_still_gets_120002(server_with_key):
    server = server_with_key(agent_version="2.0.9000")

    with pytest.raises(OperationRefused) as refused:
        server_rules.change_passphrase(server, "12345678", new_envelope())

    assert refused.value.entry.code == "120002"


@pytest.mark.parametrize(
    "kind, agent_version, product_version",
    [
        # As strings "2.0.10000" < "2.0.9052"; as numbers it is newer.
        (ServerKind.AGENT, "2.0.10000", ""),
        (ServerKind.AGENT, "2.0.9052", ""),
        (ServerKind.BACKUP_SERVER, "2.0.9052", "Update 1"),
        (ServerKind.DPM, "2.0.9052", "2012 R2 UR12"),
        (ServerKind.DPM, "2.0.10000", "2016 UR2"),
    ],
)
def test_a_supported_client_may_change_the_passphrase(
    server_with_key, pin, kind, agent_version, product_version
):
    server = server_with_key(
        kind=kind, agent_version=agent_version, product_version=product_version
    )

    server_rules.change_passphrase(server, pin(), new_envelope())

    assert not refusals().exists()


def test_without_security_settings_no_pin_is_needed(
    legacy_vault, make_credentialed_server
):
    server, _ = make_credentialed_server(
        legacy_vault, agent_version="2.0.9000", key_envelope=new_envelope()
    )
    replacement = new_envelope()

    server_rules.change_passphrase(server, "", replacement)

    server.refresh_from_db()
    assert server.key_envelope == replacement


def test_the_api_answers_100130_with_the_catalogue_entry(
    vault, server_with_key, agent_api, make_credentialed_server
):
    server, credential = make_credentialed_server(
        vault, "api-server", key_envelope=new_envelope()
    )

    response = agent_api(credential).json(
        "post",
        "/change-passphrase",
        {"pin": "12345678", "key_envelope": new_envelope()},
    )

    assert response.status_code == 403
    body = response.json()
    assert body["code"] == "100130"
    assert body["message"] == "Security PIN entered is incorrect."
    assert "Generate" in body["action"]


def test_the_api_answers_120002_for_an_old_agent(
    vault, agent_api, make_credentialed_server, pin
):
    server, credential = make_credentialed_server(
        vault, "old", agent_version="2.0.9000", key_envelope=new_envelope()
    )

    response = agent_api(credential).json(
        "post", "/change-passphrase", {"pin": pin(), "key_envelope": new_envelope()}
    )

    assert response.status_code == 403
    assert response.json()["code"] == "120002"


def test_the_api_refuses_a_pin_that_is_not_text(
    vault, agent_api, make_credentialed_server
):
    server, credential = make_credentialed_server(
        vault, "typed", key_envelope=new_envelope()
    )

    response = agent_api(credential).json(
        "post", "/change-passphrase", {"pin": 12345678, "key_envelope": new_envelope()}
    )

    assert response.status_code == 422
    assert response.json()["code"] == "SR-REQUEST-INVALID"
