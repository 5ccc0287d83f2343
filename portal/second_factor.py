"""Second-factor devices: enrolment, verification and backup codes.

django-otp does the cryptography and throttling; this module adds the locks
that make a code good for one use even when two requests race with it.
"""

import base64
import hashlib
import hmac
import logging
import math
from datetime import timedelta

import segno
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_otp import devices_for_user
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from portal.forms import TOTP_CODE

logger = logging.getLogger(__name__)

BACKUP_DEVICE_NAME = "Backup codes"
BACKUP_CODE_COUNT = 10
# django-otp's token column holds 16 characters: 64 bits of the keyed hash.
BACKUP_HASH_LENGTH = 16


def hash_backup_code(code):
    """Return the stored form of a backup code: a keyed hash, never the code.

    Keyed by the site's secret, because eight characters are too few to
    survive an offline guess against a plain hash of a leaked database.
    """
    key = hashlib.sha256(b"strongroom-backup-code:" + settings.SECRET_KEY.encode())
    digest = hmac.new(key.digest(), code.encode(), hashlib.sha256).hexdigest()
    return digest[:BACKUP_HASH_LENGTH]


def has_device(user):
    return any(True for _ in devices_for_user(user, confirmed=True))


def totp_key_text(device):
    """Return the key as authenticator apps take it, in groups of four."""
    key = base64.b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(key[i : i + 4] for i in range(0, len(key), 4))


def totp_qr_svg(device):
    return segno.make(device.config_url, error="m").svg_inline(scale=5, border=2)


def start_totp_enrolment(user, name):
    """Reuse the user's pending device, or make one; it counts only once confirmed."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=name, confirmed=False)
    elif device.name != name:
        device.name = name
        device.save(update_fields=["name"])
    return device


def confirm_totp(device, code):
    with transaction.atomic():
        locked = TOTPDevice.objects.select_for_update().get(pk=device.pk)
        if not locked.verify_token(code):
            return False
        locked.confirmed = True
        locked.save(update_fields=["confirmed"])
    logger.info("second factor enrolled user=%s device=totp", device.user_id)
    return True


def verify_code(user, code):
    """Return (device, wait): the device that accepted code, or how long to wait."""
    if TOTP_CODE.fullmatch(code):
        return _verify_totp(user, code)
    return _spend_backup_code(user, code)


def _seconds_locked(info):
    locked_until = (info or {}).get("locked_until")
    if not locked_until:
        return 0
    return math.ceil((locked_until - timezone.now()).total_seconds())


def _verify_totp(user, code):
    wait = None
    for pk in TOTPDevice.objects.filter(user=user, confirmed=True).values_list(
        "pk", flat=True
    ):
        with transaction.atomic():
            # The row lock makes a replayed code fail even when two requests
            # carry it at once: the second sees the first one's last_t.
            device = TOTPDevice.objects.select_for_update().get(pk=pk)
            allowed, info = device.verify_is_allowed()
            if not allowed:
                wait = max(wait or 0, _seconds_locked(info))
                continue
            if device.verify_token(code):
                return device, None
    return None, wait


def _spend_backup_code(user, code):
    wait = None
    for pk in StaticDevice.objects.filter(user=user, confirmed=True).values_list(
        "pk", flat=True
    ):
        with transaction.atomic():
            device = StaticDevice.objects.select_for_update().get(pk=pk)
            allowed, info = device.verify_is_allowed()
            if not allowed:
                wait = max(wait or 0, _seconds_locked(info))
                continue
            # The count of deleted rows decides, not an earlier read: of two
            # requests racing with one code, only one can delete it.
            deleted, _ = device.token_set.filter(token=hash_backup_code(code)).delete()
            if deleted:
                device.throttle_reset()
                logger.info("backup code used user=%s", user.pk)
                return device, None
            # Wrong backup codes slow the device down like wrong app codes.
            device.throttle_increment()
    return None, wait


def regenerate_backup_codes(user):
    """Replace the user's backup codes with new ones; return them to show once."""
    with transaction.atomic():
        device, _ = StaticDevice.objects.get_or_create(
            user=user, name=BACKUP_DEVICE_NAME, defaults={"confirmed": True}
        )
        device.token_set.all().delete()
        codes = [StaticToken.random_token() for _ in range(BACKUP_CODE_COUNT)]
        StaticToken.objects.bulk_create(
            StaticToken(device=device, token=hash_backup_code(code)) for code in codes
        )
    logger.info("backup codes regenerated user=%s", user.pk)
    return codes


def backup_codes_left(user):
    return StaticToken.objects.filter(device__user=user).count()


def user_devices(user):
    """List the user's confirmed devices for the account page."""
    found = list(TOTPDevice.objects.filter(user=user, confirmed=True))
    found += list(StaticDevice.objects.filter(user=user, confirmed=True))
    return found


def remove_device(user, device_id, kind):
    model = TOTPDevice if kind == "totp" else StaticDevice
    deleted, _ = model.objects.filter(user=user, pk=device_id).delete()
    if deleted:
        logger.info("second factor removed user=%s device=%s", user.pk, kind)
    return bool(deleted)


def lockout_text(seconds):
    delta = timedelta(seconds=seconds)
    minutes, secs = divmod(int(delta.total_seconds()), 60)
    return f"{minutes} min {secs} s" if minutes else f"{secs} s"
