from datetime import UTC, datetime

import time_machine

from vaults import audit
from vaults.models import (
    Notification,
    Operation,
    Outcome,
    RegisteredServer,
    SecurityPin,
)

WHEN = datetime(2026, 3, 1, 23, 30, 5, tzinfo=UTC)


def alert_for(vault, **kwargs):
    with time_machine.travel(WHEN, tick=False):
        event = audit.record(vault, **kwargs)
    return Notification.objects.get(event=event)


def test_the_subject_names_the_vault_operation_and_outcome(vault):
    alert = alert_for(
        vault,
        operation=Operation.PASSPHRASE_CHANGED,
        outcome=Outcome.REFUSED,
        label="server web01",
        error_code="100130",
    )

    assert alert.subject == "[Strongroom] prod-vault: Change passphrase (refused)"


def test_the_body_says_what_when_who_where_and_what_to_do(vault, settings):
    settings.TIME_ZONE = "America/New_York"
    alert = alert_for(
        vault,
        operation=Operation.PASSPHRASE_CHANGED,
        outcome=Outcome.REFUSED,
        label="server web01",
        error_code="100130",
        client_address="198.51.100.7",
    )

    for body in (alert.body_text, alert.body_html):
        assert "prod-vault" in body
        assert "Contoso" in body
        assert "Change passphrase" in body
        assert "2026-03-01 23:30:05 UTC" in body
        assert "server web01" in body
        assert "198.51.100.7" in body
        assert "100130" in body
        assert "Security PIN entered is incorrect." in body
        assert "What to do" in body
        assert "Nothing was changed." in body
        assert f"/vaults/{vault.pk}/audit-log/" in body


def test_an_allowed_operation_by_a_portal_user_says_so(vault, admin_user):
    alert = alert_for(
        vault,
        operation=Operation.SECURITY_ENABLED,
        outcome=Outcome.ALLOWED,
        user=admin_user,
    )

    assert "alice (signed in to the portal)" in alert.body_text
    assert "If not, treat it as" in alert.body_text


def test_html_is_escaped_and_text_is_not(vault, subscription):
    subscription.name = "R&D"
    subscription.save()
    alert = alert_for(
        vault,
        operation=Operation.RECIPIENTS_CHANGED,
        outcome=Outcome.ALLOWED,
        detail="Added <script>@example.com",
    )

    assert "R&D" in alert.body_text
    assert "Added <script>@example.com" in alert.body_text
    assert "R&amp;D" in alert.body_html
    assert "<script>" not in alert.body_html


def test_no_pin_key_or_password_reaches_the_email(vault, admin_user):
    SecurityPin.objects.create(
        vault=vault, pin_hash="f" * 64, expires_at=WHEN, generated_by=admin_user
    )
    RegisteredServer.objects.create(
        vault=vault,
        name="web01",
        agent_version="2.0.9052",
        credential_hash="c" * 64,
        key_envelope={"wrapped_key": "WRAPPED-KEY-MATERIAL"},
    )
    alert = alert_for(
        vault,
        operation=Operation.PIN_GENERATED,
        outcome=Outcome.ALLOWED,
        user=admin_user,
    )

    for text in (alert.subject, alert.body_text, alert.body_html):
        assert "f" * 64 not in text
        assert "c" * 64 not in text
        assert "WRAPPED-KEY-MATERIAL" not in text
        assert admin_user.password not in text
