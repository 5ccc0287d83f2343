import asyncio
import email
import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
from email import policy as email_policy
from importlib import import_module

import pytest
from aiosmtpd.controller import Controller
from django.contrib.auth import get_user_model
from django.db import connection
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.agent_journey import NEW_PASSPHRASE, OLD_PASSPHRASE, REPOSITORY
from vaults.models import BackupPolicy, Membership, Role, Subscription, Vault

PASSWORD = "correct horse battery"


def pytest_collection_modifyitems(config, items):
    # `make test` deselects these in its first pass and runs them in the
    # second; a bare pytest on SQLite says why it leaves them out.
    if os.environ.get("DATABASE_URL", "").startswith("postgres"):
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL and Redis: make test-services")
    for item in items:
        if "services" in item.keywords:
            item.add_marker(skip)


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
def verified_admin(admin_user, device):
    """The administrator as the rule layer sees them after the code step."""
    return as_verified(admin_user, device)


@pytest.fixture
def verified_client(client, admin_user, device):
    return verify_session(client, admin_user, device)


@pytest.fixture
def signed_in_client(client, admin_user):
    """A session past the password step only, for a user with no device."""
    client.force_login(admin_user)
    return client


@pytest.fixture
def make_server(db):
    import hashlib
    import secrets

    from vaults.models import RegisteredServer

    def make(vault, name="fileserver-01", kind="agent", version="2.0.9145", product=""):
        return RegisteredServer.objects.create(
            vault=vault,
            name=name,
            kind=kind,
            agent_version=version,
            product_version=product,
            credential_hash=hashlib.sha256(secrets.token_bytes(16)).hexdigest(),
        )

    return make


@pytest.fixture
def make_credentialed_server(db):
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
def agent_api(client, blob_storage):
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


@pytest.fixture
def blob_storage(settings, tmp_path):
    """Keep blobs written by a test in its own folder."""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": tmp_path / "blobs"},
        },
    }
    return tmp_path / "blobs"


@pytest.fixture
def make_point(blob_storage):
    """Store a recovery point with chunk blobs, as the agent API would."""
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    from vaults.models import Chunk, RecoveryPoint

    def make(item, digests):
        vault = item.server.vault
        chunks = []
        for digest in digests:
            chunk = Chunk.objects.filter(vault=vault, digest=digest).first()
            if chunk is None:
                name = default_storage.save(
                    f"vaults/{vault.pk}/chunks/{digest}", ContentFile(b"x" * 10)
                )
                chunk = Chunk.objects.create(
                    vault=vault, digest=digest, size=10, blob=name
                )
            chunks.append(chunk)
        manifest = default_storage.save(
            f"vaults/{vault.pk}/manifests/m", ContentFile(b"manifest")
        )
        point = RecoveryPoint.objects.create(
            item=item, manifest_blob=manifest, size=10 * len(digests)
        )
        point.chunks.set(chunks)
        return point

    return make


class CollectingHandler:
    """An SMTP server's handler that keeps what it accepts, or refuses on cue."""

    def __init__(self):
        self.lock = threading.Lock()
        self.reset()

    def reset(self):
        with self.lock:
            self.messages = []
            self.refusals = []
            self.delay = 0.0

    def refuse_next(self, *replies):
        """Answer the next DATA commands with these replies, e.g. '451 ...'."""
        with self.lock:
            self.refusals.extend(replies)

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            await asyncio.sleep(self.delay)
        with self.lock:
            if self.refusals:
                return self.refusals.pop(0)
            message = email.message_from_bytes(
                envelope.content, policy=email_policy.default
            )
            self.messages.append((list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"

    def received(self):
        with self.lock:
            return list(self.messages)


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class SmtpServer:
    def __init__(self):
        self.handler = CollectingHandler()
        self.host, self.port = "127.0.0.1", free_port()
        self.controller = Controller(self.handler, hostname=self.host, port=self.port)

    def use_in(self, settings):
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = self.host, self.port
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
        settings.EMAIL_TIMEOUT = 10


@pytest.fixture(scope="session")
def smtp_server_session():
    server = SmtpServer()
    server.controller.start()
    yield server
    server.controller.stop()


@pytest.fixture
def smtp_server(smtp_server_session, settings):
    """A real SMTP server on 127.0.0.1 that Django's settings now send to."""
    smtp_server_session.handler.reset()
    smtp_server_session.use_in(settings)
    yield smtp_server_session
    smtp_server_session.handler.reset()


def wait_for(predicate, timeout=20.0, interval=0.05, what="the condition"):
    """Poll until predicate() is true; fail after timeout seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    pytest.fail(f"Timed out after {timeout:.0f} s waiting for {what}.")


@pytest.fixture
def staff_client(client, make_user):
    """A verified session of a staff operator who may edit vaults."""
    from django.contrib.auth.models import Permission

    operator = make_user("olga", is_staff=True)
    operator.user_permissions.add(
        *Permission.objects.filter(
            codename__in=[
                "change_vault",
                "view_vault",
                "add_alertrecipient",
                "change_alertrecipient",
                "delete_alertrecipient",
                "view_alertrecipient",
            ]
        )
    )
    device = TOTPDevice.objects.create(user=operator, name="phone", confirmed=True)
    return verify_session(client, operator, device)


# The SQLite triggers a flush's DELETE statements would run into, by the
# migration that creates them.
FLUSH_BLOCKING_TRIGGERS = {
    "0002_database_guards": (
        "audit_event_no_update",
        "audit_event_no_delete",
        "vault_security_stays_on",
    ),
    "0005_vault_security_not_deleted": ("vault_security_not_deleted",),
}


def is_transactional(request):
    """Return whether the test commits for real and so ends with a flush."""
    names = request.fixturenames
    if "transactional_db" in names or "live_server" in names:
        return True
    marker = request.node.get_closest_marker("django_db")
    if marker is None:
        return False
    return bool(marker.kwargs.get("transaction", marker.args[:1] == (True,)))


@pytest.fixture(autouse=True)
def empty_audit_trail_before_flush(request):
    """Let a transactional test's flush pass the append-only triggers.

    The flush at the end of such a test deletes every row: on SQLite with
    DELETE, which the audit and vault triggers refuse, on PostgreSQL with
    TRUNCATE, which is refused while the audit table has rows. This empties
    the audit table and turns vaults' settings off with the triggers lifted,
    then restores them.
    """
    yield
    if not is_transactional(request):
        return
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ALTER TABLE vaults_auditevent DISABLE TRIGGER USER")
            cursor.execute("DELETE FROM vaults_notification")
            cursor.execute("DELETE FROM vaults_auditevent")
            cursor.execute("ALTER TABLE vaults_auditevent ENABLE TRIGGER USER")
        return
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        for triggers in FLUSH_BLOCKING_TRIGGERS.values():
            for trigger in triggers:
                cursor.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        cursor.execute("DELETE FROM vaults_notification")
        cursor.execute("DELETE FROM vaults_auditevent")
        cursor.execute("UPDATE vaults_vault SET security_settings_enabled = 0")
        for name, triggers in FLUSH_BLOCKING_TRIGGERS.items():
            guards = import_module(f"vaults.migrations.{name}")
            for statement in guards.SQLITE_FORWARD:
                created = re.search(r"CREATE TRIGGER (\w+)", statement)
                if created and created.group(1) in triggers:
                    cursor.execute(statement)


def as_verified(user, device=None):
    """Mark a user object as django-otp's middleware does after a code."""
    user.otp_device = device if device is not None else object()
    user.is_verified = lambda: user.otp_device is not None
    return user


def wrong_code(device, avoid=0):
    """Return a 6-digit code the device accepts at no step near now."""
    valid = {totp_now(device, step) for step in (-1, 0, 1)}
    wrong = (f"{n:06d}" for n in range(1, 10) if f"{n:06d}" not in valid)
    return list(wrong)[avoid]


@pytest.fixture
def live_portal(live_server, transactional_db, blob_storage, monkeypatch):
    # Alert delivery is the worker's business; here it is enough that each
    # alert is written, so the hand-off to the broker is recorded instead.
    handed_off = []
    monkeypatch.setattr(
        "vaults.tasks.deliver_notification.delay", lambda pk: handed_off.append(pk)
    )
    return live_server


@pytest.fixture
def policy(vault):
    return BackupPolicy.objects.create(vault=vault, name="DefaultPolicy")


@pytest.fixture
def download_credentials(client, admin_user, device, vault, tmp_path, live_portal):
    verify_session(client, admin_user, device)

    def download(name):
        response = client.post(reverse("backup-credentials", args=[vault.pk]))
        assert response.status_code == 200
        document = json.loads(response.content)
        # The test client reaches the portal as "testserver"; the agent must
        # reach the live server.
        document["portal_url"] = live_portal.url
        path = tmp_path / f"{name}.json"
        path.write_text(json.dumps(document))
        return path

    return download


@pytest.fixture
def agent(tmp_path):
    env = {
        **os.environ,
        "STRONGROOM_AGENT_SCRYPT_N": "1024",
        "HOME": str(tmp_path / "home"),
    }

    def run(*args, state="main", check=True):
        result = subprocess.run(
            [sys.executable, "-m", "agent.cli", *args, "--state-dir", state_dir(state)],
            cwd=REPOSITORY,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        if check and result.returncode != 0:
            raise AssertionError(f"agent {args} failed:\n{result.stderr}")
        return result

    def state_dir(name):
        return str(tmp_path / "state" / name)

    run.state_dir = state_dir
    return run


@pytest.fixture
def passphrase_files(tmp_path):
    old = tmp_path / "old-passphrase"
    old.write_text(OLD_PASSPHRASE + "\n")
    new = tmp_path / "new-passphrase"
    new.write_text(NEW_PASSPHRASE + "\n")
    return old, new


@pytest.fixture(scope="session", autouse=True)
def close_stray_connections(django_db_setup, django_db_blocker):
    """End idle connections other threads left, so the test database can go.

    A live-server request thread that a browser kept alive may still hold
    its connection when the session ends; PostgreSQL refuses to drop a
    database that anyone is connected to.
    """
    yield
    if connection.vendor != "postgresql":
        return
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
