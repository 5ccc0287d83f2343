import pytest
from django.core.exceptions import ValidationError

from tests.conftest import as_verified
from vaults.errors import OperationRefused
from vaults.models import AlertRecipient, AuditEvent, Notification, Operation, Role
from vaults.recipients import (
    configure_notifications,
    display_address,
    normalise_address,
    plan,
)


def test_an_address_is_stored_in_lower_case():
    assert normalise_address("  Bob.Smith+alerts@Example.COM ") == (
        "bob.smith+alerts@example.com"
    )


def test_an_international_domain_is_stored_in_its_ascii_form():
    assert normalise_address("bob@Bücher.example") == "bob@xn--bcher-kva.example"
    assert normalise_address("bob@xn--bcher-kva.example") == "bob@xn--bcher-kva.example"
    assert display_address("bob@xn--bcher-kva.example") == "bob@bücher.example"


@pytest.mark.parametrize(
    "raw",
    [
        "eve@example.com\r\nBcc: all@example.org",
        "eve@example.com\nSubject: hi",
        "eve@example.com\u2028x",
        "eve@exa\rmple.com",
    ],
)
def test_line_breaks_are_refused(raw):
    with pytest.raises(ValidationError, match="line breaks"):
        normalise_address(raw)


@pytest.mark.parametrize(
    "raw",
    [
        "Eve <eve@example.com>",
        "eve@example.com, mallory@example.org",
        "eve@example.com;mallory@example.org",
        '"eve smith"@example.com',
        "eve smith@example.com",
        "eve\t@example.com",
        "eve@example.com\x00",
    ],
)
def test_display_names_separators_and_control_characters_are_refused(raw):
    with pytest.raises(ValidationError):
        normalise_address(raw)


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "no-at-sign.example.com",
        "@example.com",
        "eve@",
        "eve@@example.com",
        "eve@-bad-.example",
        "éve@example.com",
        "a" * 250 + "@example.com",
    ],
)
def test_invalid_addresses_are_refused(raw):
    with pytest.raises(ValidationError):
        normalise_address(raw)


def test_adding_an_address_twice_in_another_case_is_refused():
    with pytest.raises(ValidationError, match="already a recipient"):
        plan({"bob@example.com"}, [normalise_address("BOB@example.com")], [])


def test_an_address_given_twice_in_one_change_is_named_as_listed_twice():
    added = [normalise_address("ops@example.com"), normalise_address("OPS@example.com")]
    with pytest.raises(ValidationError) as refused:
        plan(set(), added, [])
    assert refused.value.messages == ["ops@example.com is listed twice."]


def test_the_unicode_and_ascii_spellings_are_one_recipient():
    before = {normalise_address("bob@bücher.example")}
    with pytest.raises(ValidationError, match="already a recipient"):
        plan(before, [normalise_address("bob@xn--bcher-kva.example")], [])


def test_twenty_recipients_are_allowed_and_the_twenty_first_is_refused():
    nineteen = {f"user{n}@example.com" for n in range(19)}
    assert len(plan(nineteen, ["user19@example.com"], [])) == 20
    with pytest.raises(ValidationError, match="at most 20"):
        plan(nineteen | {"user19@example.com"}, ["user20@example.com"], [])


def test_removing_one_makes_room_for_another():
    twenty = {f"user{n}@example.com" for n in range(20)}
    after = plan(twenty, ["new@example.com"], ["USER0@example.com"])
    assert len(after) == 20
    assert "user0@example.com" not in after


def test_a_change_is_audited_and_sent_to_the_old_and_new_lists(admin_user, vault):
    AlertRecipient.objects.create(vault=vault, email="old@example.com")

    configure_notifications(
        vault,
        as_verified(admin_user),
        enabled=True,
        add=["New@Example.com"],
        remove=["old@example.com"],
        client_address="203.0.113.9",
    )

    assert list(vault.alert_recipients.values_list("email", flat=True)) == [
        "new@example.com"
    ]
    event = AuditEvent.objects.get(operation=Operation.RECIPIENTS_CHANGED)
    assert event.actor == admin_user
    assert event.client_address == "203.0.113.9"
    assert "Added new@example.com" in event.detail
    assert "Removed old@example.com" in event.detail
    notification = Notification.objects.get(event=event)
    assert notification.recipients == [
        "alice@contoso.example",
        "new@example.com",
        "old@example.com",
    ]


def test_turning_email_off_still_tells_the_people_on_the_list(admin_user, vault):
    AlertRecipient.objects.create(vault=vault, email="oncall@example.com")

    configure_notifications(vault, as_verified(admin_user), enabled=False)

    vault.refresh_from_db()
    assert vault.email_notifications_enabled is False
    notification = Notification.objects.get()
    assert "oncall@example.com" in notification.recipients
    assert "turned off" in notification.event.detail


def test_later_alerts_skip_the_list_while_email_is_off(admin_user, vault):
    from vaults.alerts import recipients_for

    AlertRecipient.objects.create(vault=vault, email="oncall@example.com")
    configure_notifications(vault, as_verified(admin_user), enabled=False)

    vault.refresh_from_db()
    assert recipients_for(vault) == ["alice@contoso.example"]


def test_saving_without_a_change_records_nothing(admin_user, vault):
    change = configure_notifications(vault, as_verified(admin_user), enabled=True)

    assert change.is_empty
    assert not AuditEvent.objects.exists()
    assert not Notification.objects.exists()


def test_an_unverified_session_is_refused(admin_user, vault):
    admin_user.is_verified = lambda: False
    with pytest.raises(OperationRefused) as refused:
        configure_notifications(vault, admin_user, enabled=True, add=["a@example.com"])
    assert refused.value.entry.code == "SR-SECOND-FACTOR"
    assert not vault.alert_recipients.exists()


@pytest.mark.parametrize("role", [Role.CONTRIBUTOR, Role.READER])
def test_only_an_administrator_may_change_the_list(
    make_user, subscription, vault, role
):
    member = as_verified(make_user("carol", role, subscription))
    with pytest.raises(OperationRefused) as refused:
        configure_notifications(vault, member, enabled=True, add=["a@example.com"])
    assert refused.value.entry.code == "SR-FORBIDDEN"
    assert not vault.alert_recipients.exists()


def test_a_console_change_needs_staff_with_the_vault_permission(make_user, vault):
    operator = as_verified(make_user("olga", is_staff=True))
    with pytest.raises(OperationRefused):
        configure_notifications(
            vault, operator, enabled=True, add=["a@example.com"], console=True
        )


def test_an_invalid_address_changes_nothing(admin_user, vault):
    with pytest.raises(ValidationError):
        configure_notifications(
            vault,
            as_verified(admin_user),
            enabled=False,
            add=["good@example.com", "bad@@example.com"],
        )
    vault.refresh_from_db()
    assert vault.email_notifications_enabled is True
    assert not vault.alert_recipients.exists()
    assert not AuditEvent.objects.exists()
