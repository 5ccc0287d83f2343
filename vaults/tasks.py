from celery import shared_task
from django.conf import settings

from vaults import alerts


# max_retries is a backstop only: deliver() counts tries in the database and
# stops at ALERT_MAX_ATTEMPTS, across the retry chain and the sweeper alike.
@shared_task(
    bind=True,
    max_retries=settings.STRONGROOM["ALERT_MAX_ATTEMPTS"] * 2,
    acks_late=True,
)
def deliver_notification(self, notification_pk):
    try:
        return alerts.deliver(notification_pk)
    except alerts.DeliveryFailed as exc:
        raise self.retry(exc=exc, countdown=exc.countdown) from exc


@shared_task
def resend_stalled_notifications():
    """Hand again to the worker alerts whose first hand-off was lost."""
    pks = list(alerts.stalled_notifications()[:500])
    for pk in pks:
        deliver_notification.delay(pk)
    return len(pks)


@shared_task
def purge_deleted_items():
    """Purge soft-deleted backup data whose 14 days are over."""
    from vaults.soft_delete import purge_due_items

    return purge_due_items()


@shared_task
def expire_recovery_points():
    """Delete recovery points past their retention."""
    from vaults.retention import expire_points

    return expire_points()
