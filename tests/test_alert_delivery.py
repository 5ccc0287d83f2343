"""Alert delivery on the embedded default: on-commit hand-off, task, sweeper."""

from datetime import timedelta

import pytest
import time_machine
from django.db import transaction
from django.utils import timezone
from kombu.exceptions import OperationalError

from portal.celery import app
from vaults import alerts, audit
from vaults.models import (
    AlertRecipient,
    Notification,
    NotificationState,
    Operation,
    OutboxMessage,
    Outcome,
)
from vaults.tasks import deliver_notification, resend_stalled_notifications


def refused_passphrase(vault):
    """Record a refused operation and return the alert it queued."""
    event = audit.record(
        vault,
        Operation.PASSPHRASE_CHANGED,
        Outcome.REFUSED,
        label="server web01",
        error_code="100130",
    )
    return Notification.objects.get(event=event)


@pytest.fixture(autouse=True)
def outbox_backend(settings):
    settings.EMAIL_BACKEND = "vaults.outbox.OutboxBackend"


@pytest.fixture
def eager_celery():
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False


def test_the_alert_is_handed_over_only_after_commit(
    vault, admin_user, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        refused_passphrase(vault)
        notification = Notification.objects.get()

    assert len(callbacks) == 1
    assert notification.state == NotificationState.QUEUED
    assert notification.recipients == ["alice@contoso.example"]


def test_a_rolled_back_operation_leaves_no_alert(
    vault, admin_user, django_capture_on_commit_callbacks
):
    with (
        django_capture_on_commit_callbacks() as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        refused_passphrase(vault)
        raise RuntimeError("the operation failed after its audit event")

    assert callbacks == []
    assert not Notification.objects.exists()


def test_the_task_sends_to_the_outbox_once(vault, admin_user):
    AlertRecipient.objects.create(vault=vault, email="oncall@example.com")
    notification = refused_passphrase(vault)

    assert deliver_notification(notification.pk) is True
    assert deliver_notification(notification.pk) is False

    kept = OutboxMessage.objects.get()
    assert kept.to == ["alice@contoso.example", "oncall@example.com"]
    assert kept.subject == notification.subject
    assert "What to do" in kept.body_text
    assert "<h2" in kept.body_html
    assert kept.message_id == alerts.message_id(notification)
    notification.refresh_from_db()
    assert notification.state == NotificationState.SENT
    assert notification.attempts == 1


def test_an_alert_without_recipients_is_closed_without_sending(vault):
    notification = refused_passphrase(vault)

    deliver_notification(notification.pk)

    notification.refresh_from_db()
    assert notification.state == NotificationState.SENT
    assert not OutboxMessage.objects.exists()


def test_a_broker_failure_after_commit_is_logged_not_raised(
    vault, admin_user, django_capture_on_commit_callbacks, monkeypatch, caplog
):
    def broker_down(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:1. Refused.")

    monkeypatch.setattr(deliver_notification, "delay", broker_down)

    with django_capture_on_commit_callbacks(execute=True):
        refused_passphrase(vault)

    assert Notification.objects.get().state == NotificationState.QUEUED
    assert "hand-off failed, the sweeper will resend it" in caplog.text


def test_a_refusing_mail_server_is_retried_with_backoff(vault, admin_user, smtp_server):
    smtp_server.handler.refuse_next("451 4.3.0 Try again later", "452 4.3.1 Full")
    notification = refused_passphrase(vault)
    start = timezone.now()

    with time_machine.travel(start, tick=False):
        with pytest.raises(alerts.DeliveryFailed) as failed:
            deliver_notification(notification.pk)
        assert failed.value.countdown == 30
        # A duplicate arriving during the backoff neither sends nor counts.
        assert deliver_notification(notification.pk) is False
    with time_machine.travel(start + timedelta(seconds=31), tick=False):
        with pytest.raises(alerts.DeliveryFailed) as failed:
            deliver_notification(notification.pk)
        assert failed.value.countdown == 60
    notification.refresh_from_db()
    assert notification.attempts == 2
    assert notification.last_error == "SMTPDataError: 452 4.3.1 Full"
    with time_machine.travel(start + timedelta(seconds=92), tick=False):
        assert deliver_notification(notification.pk) is True

    (recipients, message), *others = smtp_server.handler.received()
    assert others == []
    assert recipients == ["alice@contoso.example"]
    assert message["Subject"] == notification.subject
    assert message["Message-ID"] == alerts.message_id(notification)
    assert message.get_body(("html",)) is not None
    notification.refresh_from_db()
    assert (notification.state, notification.attempts) == ("sent", 3)
    assert notification.last_error == ""


def test_delivery_gives_up_after_the_last_try(vault, admin_user, settings, caplog):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", 9
    settings.STRONGROOM = {**settings.STRONGROOM, "ALERT_MAX_ATTEMPTS": 1}
    notification = refused_passphrase(vault)

    assert deliver_notification(notification.pk) is False

    notification.refresh_from_db()
    assert notification.state == NotificationState.FAILED
    assert notification.attempts == 1
    assert "ConnectionRefusedError" in notification.last_error
    assert "giving up" in caplog.text


def test_retry_delays_double_up_to_an_hour():
    assert [alerts.retry_delay(n) for n in (1, 2, 3, 7, 8, 12)] == [
        30,
        60,
        120,
        1920,
        3600,
        3600,
    ]


def test_the_sweeper_picks_alerts_overdue_by_more_than_five_minutes(vault):
    notification = refused_passphrase(vault)
    due = notification.next_attempt_at

    at_limit = due + timedelta(minutes=5)
    assert list(alerts.stalled_notifications(at_limit)) == []
    past_limit = at_limit + timedelta(seconds=1)
    assert list(alerts.stalled_notifications(past_limit)) == [notification.pk]


def test_the_sweeper_leaves_a_retry_waiting_for_its_time(vault):
    notification = refused_passphrase(vault)
    Notification.objects.filter(pk=notification.pk).update(
        attempts=3, next_attempt_at=timezone.now() + timedelta(minutes=2)
    )

    later = timezone.now() + timedelta(minutes=6)
    assert list(alerts.stalled_notifications(later)) == []


def test_the_sweeper_sends_a_lost_alert_once(vault, admin_user, eager_celery):
    lost = refused_passphrase(vault)
    sent = refused_passphrase(vault)
    deliver_notification(sent.pk)

    with time_machine.travel(timezone.now() + timedelta(minutes=6), tick=False):
        assert resend_stalled_notifications() == 1
        assert resend_stalled_notifications() == 0

    assert OutboxMessage.objects.count() == 2
    lost.refresh_from_db()
    assert lost.state == NotificationState.SENT
