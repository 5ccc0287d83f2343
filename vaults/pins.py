"""Security PINs: eight digits, five minutes, one use, kept as a keyed hash."""

import hashlib
import hmac
import secrets
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

PIN_DIGITS = 8


def pin_validity():
    return timedelta(seconds=settings.STRONGROOM["PIN_VALIDITY_SECONDS"])


def new_pin_text():
    return f"{secrets.randbelow(10**PIN_DIGITS):0{PIN_DIGITS}d}"


def hash_pin(vault_id, pin_text):
    """Hash a PIN keyed by the site's secret and bound to its vault."""
    key = hashlib.sha256(b"strongroom-pin:" + settings.SECRET_KEY.encode()).digest()
    message = f"{vault_id}:{pin_text}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def normalise_pin(raw):
    """Return the PIN's digits, or None when it cannot be a PIN at all."""
    if not isinstance(raw, str):
        return None
    digits = raw.replace(" ", "").replace("-", "")
    if len(digits) != PIN_DIGITS or not digits.isascii() or not digits.isdigit():
        return None
    return digits


def expires_at_for(created_at):
    return created_at + pin_validity()


def is_live(pin, now=None):
    now = now or timezone.now()
    return pin.used_at is None and pin.voided_at is None and now < pin.expires_at
