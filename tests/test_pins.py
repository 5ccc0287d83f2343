from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from vaults import rules
from vaults.errors import OperationRefused
from vaults.models import AuditEvent, Role, SecurityPin, Subscription, Vault

NOON = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)


def spend(vault, pin):
    return rules.spend_pin(vault, pin, label="fileserver-01")


def test_a_pin_has_eight_digits_and_is_stored_only_as_a_hash(vault, verified_admin):
    text, pin = rules.generate_pin(vault, verified_admin)

    assert len(text) == 8 and text.isdigit()
    assert text not in pin.pin_hash
    assert len(pin.pin_hash) == 64


def test_a_pin_is_spent_once(vault, verified_admin):
    text, _ = rules.generate_pin(vault, verified_admin)

    spend(vault, text)
    with pytest.raises(OperationRefused) as refusal:
        spend(vault, text)
    assert refusal.value.entry.code == "100130"


def test_a_pin_is_valid_at_four_minutes_fifty_nine(vault, verified_admin):
    with time_machine.travel(NOON, tick=False) as clock:
        text, _ = rules.generate_pin(vault, verified_admin)
        clock.shift(timedelta(minutes=4, seconds=59))
        spend(vault, text)


def test_a_pin_is_refused_at_five_minutes(vault, verified_admin):
    with time_machine.travel(NOON, tick=False) as clock:
        text, _ = rules.generate_pin(vault, verified_admin)
        clock.shift(timedelta(minutes=5))
        with pytest.raises(OperationRefused):
            spend(vault, text)


def test_a_new_pin_voids_the_old_one(vault, verified_admin):
    old, _ = rules.generate_pin(vault, verified_admin)
    new, _ = rules.generate_pin(vault, verified_admin)

    with pytest.raises(OperationRefused):
        spend(vault, old) if old != new else spend(vault, "not-a-pin")
    spend(vault, new)


def test_another_vaults_pin_is_refused(vault, verified_admin, subscription):
    other = Vault.objects.create(subscription=subscription, name="other-vault")
    text, _ = rules.generate_pin(other, verified_admin)

    with pytest.raises(OperationRefused):
        spend(vault, text)
    spend(other, text)


@pytest.mark.parametrize(
    "bad", ["", "1234", "123456789", "abcdefgh", None, 12345678, "prod-vault"]
)
def test_malformed_pins_are_refused_with_100130(vault, verified_admin, bad):
    rules.generate_pin(vault, verified_admin)
    with pytest.raises(OperationRefused) as refusal:
        spend(vault, bad)
    assert refusal.value.entry.code == "100130"


def test_spaces_and_dashes_in_a_pin_are_ignored(vault, verified_admin):
    text, _ = rules.generate_pin(vault, verified_admin)
    spend(vault, f"{text[:4]} {text[4:]}")


def test_five_wrong_tries_void_the_pin_and_are_audited(vault, verified_admin):
    text, pin = rules.generate_pin(vault, verified_admin)
    wrong = f"{(int(text) + 1) % 10**8:08d}"

    for _ in range(5):
        with pytest.raises(OperationRefused):
            spend(vault, wrong)
    with pytest.raises(OperationRefused):
        spend(vault, text)

    pin.refresh_from_db()
    assert pin.voided_at is not None
    event = AuditEvent.objects.get(operation="pin-voided")
    assert event.outcome == "refused" and "wrong tries" in event.detail


def test_four_wrong_tries_leave_the_pin_usable(vault, verified_admin):
    text, _ = rules.generate_pin(vault, verified_admin)
    wrong = f"{(int(text) + 1) % 10**8:08d}"
    for _ in range(4):
        with pytest.raises(OperationRefused):
            spend(vault, wrong)
    spend(vault, text)


def test_generating_needs_a_verified_session(vault, admin_user, device):
    admin_user.is_verified = lambda: False
    with pytest.raises(OperationRefused) as refusal:
        rules.generate_pin(vault, admin_user)
    assert refusal.value.entry.code == "SR-SECOND-FACTOR"
    assert not SecurityPin.objects.exists()


def test_a_reader_cannot_generate(vault, make_user, subscription):
    reader = make_user("bob", Role.READER, subscription)
    reader.is_verified = lambda: True
    with pytest.raises(OperationRefused):
        rules.generate_pin(vault, reader)


def test_a_contributor_can_generate(vault, make_user, subscription):
    contributor = make_user("carol", Role.CONTRIBUTOR, subscription)
    contributor.is_verified = lambda: True
    text, _ = rules.generate_pin(vault, contributor)
    assert AuditEvent.objects.filter(operation="pin-generated").count() == 1
    assert text not in AuditEvent.objects.get().detail


def test_pins_never_reach_the_log(vault, verified_admin, caplog):
    text, _ = rules.generate_pin(vault, verified_admin)
    with pytest.raises(OperationRefused):
        spend(vault, "00000000" if text != "00000000" else "11111111")
    spend(vault, text)
    assert text not in caplog.text


def test_a_pin_of_an_unrelated_subscription_is_not_reachable(db, verified_admin):
    stranger = Vault.objects.create(
        subscription=Subscription.objects.create(name="Fabrikam"), name="x-vault"
    )
    with pytest.raises(OperationRefused):
        rules.generate_pin(stranger, verified_admin)
