"""Alert emails for critical operations: written with their cause, sent once."""

import logging
import smtplib
from datetime import UTC, timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from vaults.errors import entry_for
from vaults.models import Membership, Notification, NotificationState, Outcome, Role

logger = logging.getLogger(__name__)

# A retry may arrive a little before its time; within this margin it is due.
EARLY_MARGIN = timedelta(seconds=5)


class DeliveryFailed(Exception):
    def __init__(self, message, countdown):
        super().__init__(message)
        self.countdown = countdown


def max_attempts():
    return settings.STRONGROOM["ALERT_MAX_ATTEMPTS"]


def retry_delay(attempts):
    """Return the seconds to wait after the given number of failed tries."""
    base = settings.STRONGROOM["ALERT_RETRY_BASE_SECONDS"]
    ceiling = settings.STRONGROOM["ALERT_RETRY_MAX_SECONDS"]
    return min(base * 2 ** max(attempts - 1, 0), ceiling)


def recipients_for(vault):
    """Return the subscription's administrators and the vault's own recipients."""
    admins = Membership.objects.filter(
        subscription_id=vault.subscription_id, role=Role.ADMIN
    ).exclude(user__email="")
    found = {m.user.email.strip().lower() for m in admins.select_related("user")}
    if vault.email_notifications_enabled:
        found.update(vault.alert_recipients.values_list("email", flat=True))
    return sorted(found)


def email_context(event):
    """Return the plain values an alert shows; templates never see models."""
    # Only strings reach the templates, so no template can reach a PIN hash,
    # a key envelope or a password through a related object.
    vault = event.vault
    entry = entry_for(event.error_code) if event.error_code else None
    return {
        "vault_name": vault.name,
        "subscription_name": vault.subscription.name,
        "operation": event.get_operation_display(),
        "outcome": event.get_outcome_display(),
        "refused": event.outcome == Outcome.REFUSED,
        "error_code": event.error_code,
        "error_message": entry.message if entry else "",
        "when": event.occurred_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S"),
        "who": event.actor_label,
        "by_portal_user": event.actor_id is not None,
        "address": event.client_address or "",
        "detail": event.detail,
        "audit_url": settings.SITE_URL + reverse("audit-log", args=[vault.pk]),
        "alerts_url": settings.SITE_URL + reverse("backup-alerts", args=[vault.pk]),
    }


def queue_alert(event, also_to=()):
    """Write the alert for an audit event; hand it to Celery after commit."""
    vault = event.vault
    recipients = sorted(set(recipients_for(vault)) | {a.lower() for a in also_to})
    context = email_context(event)
    subject = render_to_string("emails/alert_subject.txt", context)
    notification = Notification.objects.create(
        vault=vault,
        event=event,
        subject=" ".join(subject.split())[:255],
        body_text=render_to_string("emails/alert.txt", context),
        body_html=render_to_string("emails/alert.html", context),
        recipients=recipients,
    )
    if not recipients:
        # Nobody to tell is still worth a line: an operator can add people.
        logger.warning(
            "alert has no recipients vault=%s operation=%s",
            vault.pk,
            event.operation,
        )
    transaction.on_commit(lambda: hand_off(notification))
    return notification


def hand_off(notification):
    """Give a committed alert to the broker; if that fails the sweeper sends it."""
    from vaults.tasks import deliver_notification

    try:
        deliver_notification.delay(notification.pk)
    except Exception as exc:
        # The operation has committed already; raising here would show the
        # person an error for something that happened. The notification
        # stays queued and the sweeper hands it over once the broker is back.
        logger.warning(
            "alert hand-off failed, the sweeper will resend it "
            "vault=%s notification=%s error=%s",
            notification.vault_id,
            notification.pk,
            type(exc).__name__,
        )


def deliver(notification_pk):
    """Send one notification unless it was sent already; raise to retry."""
    error = None
    with transaction.atomic():
        # The row lock makes a second worker wait until the first has sent
        # and committed; it then sees SENT and sends nothing.
        notification = (
            Notification.objects.select_for_update().filter(pk=notification_pk).first()
        )
        if notification is None or notification.state != NotificationState.QUEUED:
            return False
        now = timezone.now()
        if notification.next_attempt_at > now + EARLY_MARGIN:
            # A retry is waiting for its time; this is a duplicate hand-off.
            return False
        if not notification.recipients:
            notification.state = NotificationState.SENT
            notification.sent_at = now
            notification.save(update_fields=["state", "sent_at"])
            return False
        notification.attempts += 1
        try:
            build_email(notification).send()
        except (smtplib.SMTPException, OSError) as exc:
            error = exc
            notification.last_error = describe_error(exc)[:500]
            if notification.attempts >= max_attempts():
                notification.state = NotificationState.FAILED
            countdown = retry_delay(notification.attempts)
            notification.next_attempt_at = now + timedelta(seconds=countdown)
        else:
            notification.state = NotificationState.SENT
            notification.sent_at = timezone.now()
            notification.last_error = ""
        # A crash between the send and this commit would send the alert once
        # more on the next try; the stable Message-ID lets mail systems drop
        # that copy. Losing an alert would be worse than that.
        notification.save(
            update_fields=[
                "attempts",
                "state",
                "sent_at",
                "last_error",
                "next_attempt_at",
            ]
        )
    if error is not None:
        log_failure(notification, error)
        if notification.state == NotificationState.QUEUED:
            raise DeliveryFailed(str(error), countdown) from error
        return False
    logger.info(
        "alert sent vault=%s notification=%s operation=%s recipients=%d",
        notification.vault_id,
        notification.pk,
        notification.event.operation if notification.event_id else "-",
        len(notification.recipients),
    )
    return True


def log_failure(notification, error):
    gave_up = notification.state == NotificationState.FAILED
    logger.warning(
        "alert delivery failed vault=%s notification=%s attempt=%s%s error=%s",
        notification.vault_id,
        notification.pk,
        notification.attempts,
        " (giving up)" if gave_up else "",
        describe_error(error)[:200],
    )


def describe_error(error):
    """Return a one-line account of a delivery error, with the SMTP reply."""
    name = type(error).__name__
    if isinstance(error, smtplib.SMTPResponseException):
        reply = error.smtp_error
        if isinstance(reply, bytes):
            reply = reply.decode("utf-8", "replace")
        return f"{name}: {error.smtp_code} {' '.join(str(reply).split())}"
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        refused = "; ".join(
            f"{address}: {code} {reply.decode('utf-8', 'replace')}"
            for address, (code, reply) in error.recipients.items()
        )
        return f"{name}: {refused}"
    return f"{name}: {error}"


def message_id(notification):
    """Return the same Message-ID on every try, unique across databases."""
    domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2].strip(" >") or "localhost"
    stamp = int(notification.created_at.timestamp() * 1000)
    return f"<alert-{notification.pk}.{stamp}@{domain}>"


def build_email(notification):
    message = EmailMultiAlternatives(
        subject=notification.subject,
        body=notification.body_text,
        to=notification.recipients,
        headers={"Message-ID": message_id(notification)},
    )
    message.attach_alternative(notification.body_html, "text/html")
    return message


def stalled_notifications(now=None):
    """Return queued notifications whose try is overdue: their hand-off was lost."""
    now = now or timezone.now()
    stalled_after = timedelta(
        seconds=settings.STRONGROOM["ALERT_STALLED_AFTER_SECONDS"]
    )
    return (
        Notification.objects.filter(
            state=NotificationState.QUEUED, next_attempt_at__lt=now - stalled_after
        )
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)
    )
