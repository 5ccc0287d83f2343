"""Alert emails for critical operations: written with their cause, sent once."""

import logging
import smtplib
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from vaults.models import Membership, Notification, NotificationState, Role

logger = logging.getLogger(__name__)

MAX_DELIVERY_ATTEMPTS = 8
STALLED_AFTER = timedelta(minutes=5)


class DeliveryFailed(Exception):
    pass


def recipients_for(vault):
    """Return the subscription's administrators and the vault's own recipients."""
    admins = Membership.objects.filter(
        subscription_id=vault.subscription_id, role=Role.ADMIN
    ).exclude(user__email="")
    found = {m.user.email.strip().lower() for m in admins.select_related("user")}
    if vault.email_notifications_enabled:
        found.update(vault.alert_recipients.values_list("email", flat=True))
    return sorted(found)


def queue_alert(event, also_to=()):
    """Write the alert for an audit event; hand it to Celery after commit."""
    vault = event.vault
    recipients = sorted(set(recipients_for(vault)) | {a.lower() for a in also_to})
    context = {"event": event, "vault": vault, "site_url": settings.SITE_URL}
    notification = Notification.objects.create(
        vault=vault,
        event=event,
        subject=" ".join(render_to_string("emails/alert_subject.txt", context).split()),
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
    from vaults.tasks import deliver_notification

    transaction.on_commit(lambda: deliver_notification.delay(notification.pk))
    return notification


def deliver(notification_pk):
    """Send one notification unless it was sent already; raise to retry."""
    error = None
    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update().filter(pk=notification_pk).first()
        )
        if notification is None or notification.state != NotificationState.QUEUED:
            return False
        if not notification.recipients:
            notification.state = NotificationState.SENT
            notification.sent_at = timezone.now()
            notification.save(update_fields=["state", "sent_at"])
            return False
        try:
            build_email(notification).send()
        except (smtplib.SMTPException, OSError) as exc:
            error = exc
            notification.attempts += 1
            notification.last_error = f"{type(exc).__name__}: {exc}"[:500]
            if notification.attempts >= MAX_DELIVERY_ATTEMPTS:
                notification.state = NotificationState.FAILED
            notification.save(update_fields=["attempts", "last_error", "state"])
        else:
            notification.attempts += 1
            notification.state = NotificationState.SENT
            notification.sent_at = timezone.now()
            notification.last_error = ""
            notification.save(
                update_fields=["attempts", "state", "sent_at", "last_error"]
            )
    if error is not None:
        logger.warning(
            "alert delivery failed vault=%s notification=%s attempt=%s error=%s",
            notification.vault_id,
            notification.pk,
            notification.attempts,
            type(error).__name__,
        )
        if notification.state == NotificationState.QUEUED:
            raise DeliveryFailed(str(error)) from error
        return False
    logger.info(
        "alert sent vault=%s notification=%s recipients=%d",
        notification.vault_id,
        notification.pk,
        len(notification.recipients),
    )
    return True


def build_email(notification):
    message = EmailMultiAlternatives(
        subject=notification.subject,
        body=notification.body_text,
        to=notification.recipients,
        headers={"Message-ID": f"<alert-{notification.pk}@strongroom.local>"},
    )
    message.attach_alternative(notification.body_html, "text/html")
    return message


def stalled_notifications(now=None):
    now = now or timezone.now()
    return Notification.objects.filter(
        state=NotificationState.QUEUED, created_at__lt=now - STALLED_AFTER
    ).values_list("pk", flat=True)
