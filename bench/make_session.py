"""Seed N vaults and print a verified session key for the benchmark user."""

import os
import sys

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
django.setup()

from django.contrib.auth import (  # noqa: E402
    BACKEND_SESSION_KEY,
    HASH_SESSION_KEY,
    SESSION_KEY,
    get_user_model,  # noqa: E402
)
from django.contrib.sessions.backends.db import SessionStore  # noqa: E402
from django_otp import DEVICE_ID_SESSION_KEY  # noqa: E402
from django_otp.plugins.otp_totp.models import TOTPDevice  # noqa: E402

from vaults.models import Membership, Role, Subscription, Vault  # noqa: E402

count = int(sys.argv[1])
user, _ = get_user_model().objects.get_or_create(username="bench")
subscription, _ = Subscription.objects.get_or_create(name="Bench")
Membership.objects.get_or_create(user=user, subscription=subscription, role=Role.ADMIN)
device, _ = TOTPDevice.objects.get_or_create(user=user, name="bench", confirmed=True)
existing = Vault.objects.filter(subscription=subscription).count()
Vault.objects.bulk_create(
    (
        Vault(subscription=subscription, name=f"vault-{i:06d}")
        for i in range(existing, count)
    ),
    batch_size=2000,
)
session = SessionStore()
session[SESSION_KEY] = str(user.pk)
session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
session[HASH_SESSION_KEY] = user.get_session_auth_hash()
session[DEVICE_ID_SESSION_KEY] = device.persistent_id
session.create()
print(session.session_key)
