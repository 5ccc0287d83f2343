import importlib

import pytest
from django.contrib.auth import get_user_model
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


@pytest.fixture
def flushable_audit_trail(transactional_db):
    """Let a transactional test's flush empty the append-only audit trail.

    SQLite flushes with DELETE, which the append-only trigger refuses;
    PostgreSQL truncates, which no row trigger sees.
    """
    yield
    from django.db import connection

    if connection.vendor != "sqlite":
        return
    guards = importlib.import_module("vaults.migrations.0002_database_guards")
    with connection.cursor() as cursor:
        cursor.execute("DROP TRIGGER IF EXISTS audit_event_no_delete")
        cursor.execute("DELETE FROM vaults_notification")
        cursor.execute("DELETE FROM vaults_auditevent")
        for statement in guards.SQLITE_FORWARD:
            if "audit_event_no_delete" in statement:
                cursor.execute(statement)


@pytest.fixture
def make_server(db):
    """Register a server directly; return it with its bearer credential."""
    import hashlib
    import secrets

    from vaults.models import RegisteredServer, ServerKind

    def make(vault, name="fileserver-01", kind=ServerKind.AGENT, **fields):
        credential = secrets.token_urlsafe(32)
        fields.setdefault("agent_version", "2.0.9200")
        server = RegisteredServer.objects.create(
            vault=vault,
            name=name,
            kind=kind,
            credential_hash=hashlib.sha256(credential.encode()).hexdigest(),
            **fields,
        )
        return server, credential

    return make


@pytest.fixture
def agent_api(client):
    """Call the agent API as a server with the given credential."""

    class AgentApi:
        prefix = "/api/agent/v1"

        def __init__(self, credential=None):
            self.credential = credential

        def headers(self):
            if self.credential is None:
                return {}
            return {"HTTP_AUTHORIZATION": f"Bearer {self.credential}"}

        def json(self, method, path, payload=None, **extra):
            body = payload if isinstance(payload, bytes | str) else None
            if body is None and payload is not None:
                import json

                body = json.dumps(payload)
            return getattr(client, method)(
                self.prefix + path,
                data=body,
                content_type="application/json",
                **self.headers(),
                **extra,
            )

        def put_bytes(self, path, data):
            return client.put(
                self.prefix + path,
                data=data,
                content_type="application/octet-stream",
                **self.headers(),
            )

        def get(self, path, **query):
            return client.get(self.prefix + path, query, **self.headers())

    return AgentApi


@pytest.fixture(autouse=True)
def blobs_in_a_temporary_folder(settings, tmp_path_factory):
    """Keep backup blobs written by a test out of the var/ folder."""
    if settings.STORAGE_BACKEND != "local":
        return
    location = tmp_path_factory.mktemp("blobs")
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": location},
        },
    }
