import os
from importlib import import_module

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from vaults.models import Membership, Role, Subscription, Vault

PASSWORD = "correct horse battery"


def totp_now(device, offset_steps=0):
    """Compute the device's code as an authenticator app would."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits)
    totp.time = totp.time + offset_steps * device.step
    return f"{totp.token():0{device.digits}d}"


@pytest.fixture(autouse=True)
def services_only_on_their_pass(request):
    """Run `services` tests only on the PostgreSQL pass (`make test-services`)."""
    if request.node.get_closest_marker("services") is None:
        return
    if connection.vendor == "postgresql":
        return
    message = "needs PostgreSQL: run with DATABASE_URL (make test-services)"
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI=true and this test {message}.")
    pytest.skip(message)


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # Real hashing costs half a second a check; these tests sign in often.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def subscription(db):
    return Subscription.objects.create(name="Contoso", require_mfa=False)


@pytest.fixture
def make_user(db):
    def make(username="alice", role=Role.ADMIN, subscription=None, **extra):
        user = get_user_model().objects.create_user(
            username=username,
            password=PASSWORD,
            email=f"{username}@contoso.example",
            **extra,
        )
        if subscription is not None:
            Membership.objects.create(user=user, subscription=subscription, role=role)
        return user

    return make


@pytest.fixture
def admin_user(make_user, subscription):
    return make_user("alice", Role.ADMIN, subscription)


@pytest.fixture
def device(admin_user):
    return TOTPDevice.objects.create(user=admin_user, name="phone", confirmed=True)


@pytest.fixture
def vault(subscription):
    return Vault.objects.create(subscription=subscription, name="prod-vault")


@pytest.fixture
def legacy_vault(subscription):
    return Vault.objects.create(
        subscription=subscription,
        name="old-vault",
        created_before_security_features=True,
        security_settings_enabled=False,
    )


def verify_session(client, user, device):
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


@pytest.fixture
def verified_client(client, admin_user, device):
    return verify_session(client, admin_user, device)


@pytest.fixture
def signed_in_client(client, admin_user):
    """A session past the password step only, for a user with no device."""
    client.force_login(admin_user)
    return client


AUDIT_TRIGGERS = ("audit_event_no_update", "audit_event_no_delete")


@pytest.fixture(autouse=True)
def empty_audit_trail_before_flush(request):
    """Let a transactional test's flush pass the SQLite append-only trigger.

    The flush at the end of such a test deletes every row; on PostgreSQL it
    truncates, which row triggers do not see, but on SQLite it runs DELETE.
    This empties the audit table with its triggers lifted, then restores them.
    """
    yield
    names = request.fixturenames
    if "transactional_db" not in names and "live_server" not in names:
        return
    if connection.vendor != "sqlite":
        return
    guards = import_module("vaults.migrations.0002_database_guards")
    with connection.cursor() as cursor:
        for trigger in AUDIT_TRIGGERS:
            cursor.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        cursor.execute("DELETE FROM vaults_notification")
        cursor.execute("DELETE FROM vaults_auditevent")
        for statement in guards.SQLITE_FORWARD:
            if any(trigger in statement for trigger in AUDIT_TRIGGERS):
                cursor.execute(statement)


def as_verified(user, device):
    """Mark a user object as django-otp's middleware does after a code."""
    user.otp_device = device
    user.is_verified = lambda: user.otp_device is not None
    return user


def wrong_code(device, avoid=0):
    """Return a 6-digit code the device accepts at no step near now."""
    valid = {totp_now(device, step) for step in (-1, 0, 1)}
    wrong = (f"{n:06d}" for n in range(1, 10) if f"{n:06d}" not in valid)
    return list(wrong)[avoid]
