"""Alerts on the real path: PostgreSQL, Redis, a Celery worker and SMTP."""

import os
import subprocess
import sys
import threading
import time
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone

from tests.conftest import wait_for
from tests.services.conftest import ROOT, worker_database_url
from vaults import alerts, audit
from vaults.models import Notification, NotificationState, Operation, Outcome
from vaults.tasks import deliver_notification, resend_stalled_notifications

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

OPERATION_IN_ANOTHER_PROCESS = """
import django
django.setup()
from django.db import transaction
from vaults import audit
from vaults.models import Operation, Outcome, Vault
with transaction.atomic():
    audit.record(Vault.objects.get(pk={pk}), Operation.STOP_PROTECTION_DELETE,
                 Outcome.ALLOWED, label="server web01")
"""


@pytest.fixture
def mail(celery_worker, smtp_server):
    return smtp_server.handler


def committed_alert(vault, operation=Operation.PASSPHRASE_CHANGED):
    with transaction.atomic():
        event = audit.record(vault, operation, Outcome.REFUSED, label="server web01")
    return Notification.objects.get(event=event)


def sent(notification):
    notification.refresh_from_db()
    return notification.state == NotificationState.SENT


def test_an_alert_arrives_once(mail, vault, admin_user):
    notification = committed_alert(vault)

    wait_for(lambda: mail.received(), what="the alert email")
    wait_for(lambda: sent(notification), what="the alert to be marked sent")

    (recipients, message), *others = mail.received()
    assert others == []
    assert recipients == ["alice@contoso.example"]
    assert message["Subject"] == notification.subject
    assert notification.attempts == 1


def test_an_alert_from_an_operation_while_the_broker_is_down_arrives_later(
    mail, vault, admin_user, closed_broker_url
):
    env = {
        **os.environ,
        "DATABASE_URL": worker_database_url(),
        "CELERY_BROKER_URL": closed_broker_url,
        "DJANGO_SETTINGS_MODULE": "portal.settings",
    }
    script = OPERATION_IN_ANOTHER_PROCESS.format(pk=vault.pk)
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert done.returncode == 0, done.stderr
    assert "hand-off failed, the sweeper will resend it" in done.stderr
    assert time.monotonic() - started < 20
    notification = Notification.objects.get()
    assert (notification.state, notification.attempts) == ("queued", 0)
    assert mail.received() == []

    # Time passes: the alert is now overdue, and the broker answers again.
    Notification.objects.filter(pk=notification.pk).update(
        next_attempt_at=timezone.now() - timedelta(minutes=10)
    )
    resend_stalled_notifications.delay()

    wait_for(lambda: sent(notification), what="the sweeper to send the alert")
    (recipients, message), *others = mail.received()
    assert others == []
    assert "Stop protection with delete data" in message["Subject"]


def test_a_refusing_mail_server_is_retried_until_it_accepts(mail, vault, admin_user):
    mail.refuse_next("451 4.3.0 Try again later", "421 4.3.2 Closing, come back")
    notification = committed_alert(vault)

    wait_for(lambda: sent(notification), what="delivery after two refusals")

    assert notification.attempts == 3
    assert len(mail.received()) == 1


def test_a_rolled_back_operation_sends_nothing(mail, vault, admin_user):
    with pytest.raises(RuntimeError), transaction.atomic():
        audit.record(vault, Operation.DATA_PURGED, Outcome.ALLOWED, label="purge")
        raise RuntimeError("the purge failed after its audit event")
    # A later alert goes through the same queue; once it has arrived, an
    # alert from the rolled-back operation would have arrived before it.
    later = committed_alert(vault, Operation.PASSPHRASE_CHANGED)
    wait_for(lambda: sent(later), what="the later alert")

    assert [m["Subject"] for _, m in mail.received()] == [later.subject]
    assert Notification.objects.count() == 1


def test_a_duplicated_task_sends_once(mail, celery_worker, vault, admin_user):
    mail.delay = 0.5
    notification = committed_alert(vault)
    copies = [deliver_notification.delay(notification.pk) for _ in range(2)]

    for copy in copies:
        celery_worker.wait_until_done(copy.id)
    wait_for(lambda: sent(notification), what="the alert to be marked sent")

    assert len(mail.received()) == 1
    assert notification.attempts == 1


def test_two_concurrent_deliveries_send_once(
    smtp_server, services, vault, admin_user, monkeypatch
):
    monkeypatch.setattr(alerts, "hand_off", lambda notification: None)
    smtp_server.handler.delay = 0.5
    notification = committed_alert(vault)
    start = threading.Barrier(2)
    results = []

    def deliver():
        start.wait()
        try:
            results.append(alerts.deliver(notification.pk))
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(results) == [False, True]
    assert len(smtp_server.handler.received()) == 1
    notification.refresh_from_db()
    assert (notification.state, notification.attempts) == ("sent", 1)
