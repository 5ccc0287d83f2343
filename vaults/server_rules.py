"""Rules for registered servers: registration, backup data, passphrase, retention.

The agent API and the portal's backup blades call these functions; like
vaults.rules, they decide every security question themselves.
"""

import hashlib
import logging
import secrets
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from vaults import audit, blobs, retention, soft_delete
from vaults.access import CHANGE_ROLES, authorise, require_role, require_verified
from vaults.errors import (
    CHUNKS_MISSING,
    ITEM_NOT_PROTECTED,
    KEY_ENVELOPE_ALREADY_SET,
    KEY_ENVELOPE_MISSING,
    NOT_FOUND,
    PASSPHRASE_CLIENT_UNSUPPORTED,
    POLICY_NOT_FOUND,
    RETENTION_BELOW_MINIMUM,
    RETENTION_CLIENT_UNSUPPORTED,
    SERVER_NAME_TAKEN,
    VAULT_CREDENTIALS_INVALID,
    OperationRefused,
)
from vaults.models import (
    BackupPolicy,
    Chunk,
    ItemState,
    Operation,
    Outcome,
    ProtectedItem,
    RecoveryPoint,
    RegisteredServer,
    Role,
    VaultCredential,
)
from vaults.rules import spend_pin
from vaults.versions import minimum_description

logger = logging.getLogger(__name__)

VAULT_CREDENTIALS_FORMAT = "strongroom-vault-credentials/1"
# Touching last_seen_at on every chunk would turn a backup into thousands of
# writes to one row; a minute is precise enough for the blade.
LAST_SEEN_GRANULARITY = timedelta(minutes=1)
# SQLite allows 999 parameters a query; other databases more.
LOOKUP_BATCH = 900

RETENTION_FIELDS = ("daily_days", "weekly_weeks", "monthly_months", "yearly_years")
RETENTION_MINIMUMS = retention.MINIMUMS
RETENTION_NAMES = {
    "daily_days": "Daily",
    "weekly_weeks": "Weekly",
    "monthly_months": "Monthly",
    "yearly_years": "Yearly",
}


class RetentionRefused(OperationRefused):
    """A retention below the minimum; names each field that falls short."""

    def __init__(self, entry, shortfalls):
        self.shortfalls = shortfalls
        super().__init__(entry, detail=" ".join(shortfalls.values()))


def token_hash(text):
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# Vault credentials and registration


def issue_vault_credentials(vault, user, portal_url, client_address=None):
    """Create one-use vault credentials valid 48 hours; return the file's content."""
    require_verified(user)
    require_role(user, vault, (Role.ADMIN,))
    token = secrets.token_urlsafe(32)
    now = timezone.now()
    hours = settings.STRONGROOM["VAULT_CREDENTIALS_HOURS"]
    with transaction.atomic():
        credential = VaultCredential.objects.create(
            vault=vault,
            created_by=user,
            token_hash=token_hash(token),
            created_at=now,
            expires_at=now + timedelta(hours=hours),
        )
        audit.record(
            vault,
            Operation.CREDENTIALS_DOWNLOADED,
            Outcome.ALLOWED,
            user=user,
            detail=f"Valid until {credential.expires_at:%Y-%m-%d %H:%M} UTC.",
            client_address=client_address,
            alert=False,
        )
    return {
        "format": VAULT_CREDENTIALS_FORMAT,
        "portal_url": portal_url,
        "vault_id": vault.pk,
        "vault_name": vault.name,
        "subscription": vault.subscription.name,
        "expires_at": credential.expires_at.isoformat(),
        "token": token,
    }


def register_server(
    token, *, name, kind, agent_version, product_version="", client_address=None
):
    """Spend vault credentials on a new server; return it and its credential."""
    now = timezone.now()
    credential_text = secrets.token_urlsafe(32)
    try:
        with transaction.atomic():
            vault_credential = (
                VaultCredential.objects.select_for_update()
                .select_related("vault")
                .filter(token_hash=token_hash(token))
                .first()
            )
            usable = (
                vault_credential is not None
                and vault_credential.used_at is None
                and now < vault_credential.expires_at
            )
            if not usable:
                raise OperationRefused(VAULT_CREDENTIALS_INVALID)
            vault = vault_credential.vault
            if vault.servers.filter(name=name).exists():
                raise OperationRefused(SERVER_NAME_TAKEN, detail=name)
            vault_credential.used_at = now
            vault_credential.save(update_fields=["used_at"])
            server = RegisteredServer.objects.create(
                vault=vault,
                name=name,
                kind=kind,
                agent_version=agent_version,
                product_version=product_version,
                registered_at=now,
                last_seen_at=now,
                credential_hash=token_hash(credential_text),
            )
            audit.record(
                vault,
                Operation.SERVER_REGISTERED,
                Outcome.ALLOWED,
                label=audit.server_label(server),
                detail=f"{server.get_kind_display()}, agent {agent_version}"
                + (f", {product_version}" if product_version else ""),
                client_address=client_address,
                alert=False,
            )
    except IntegrityError:
        # Two registrations raced for one name; the loser keeps its token.
        raise OperationRefused(SERVER_NAME_TAKEN, detail=name) from None
    return server, credential_text


def server_for_credential(text):
    """Return the registered server holding this credential, or None."""
    if not isinstance(text, str) or not text or len(text) > 200:
        return None
    # The lookup is by a hash of a 256-bit random token, so its timing tells
    # an attacker nothing about any stored credential.
    server = (
        RegisteredServer.objects.select_related("vault", "vault__subscription")
        .filter(credential_hash=token_hash(text))
        .first()
    )
    if server is None:
        return None
    now = timezone.now()
    if server.last_seen_at is None or now - server.last_seen_at > (
        LAST_SEEN_GRANULARITY
    ):
        RegisteredServer.objects.filter(pk=server.pk).update(last_seen_at=now)
        server.last_seen_at = now
    return server


# The wrapped data key


def store_key_envelope(server, envelope):
    """Keep the server's first wrapped key; later changes need Change Passphrase."""
    with transaction.atomic():
        locked = RegisteredServer.objects.select_for_update().get(pk=server.pk)
        if locked.key_envelope:
            raise OperationRefused(KEY_ENVELOPE_ALREADY_SET)
        locked.key_envelope = envelope
        locked.save(update_fields=["key_envelope"])
    server.key_envelope = envelope
    return server


def key_envelope_for(server, name=None):
    """Return the wrapped key of this server, or of another in the same vault."""
    owner = server
    if name is not None and name != server.name:
        # Recovering to an alternate machine reads the original server's
        # envelope; only its passphrase opens it.
        owner = server.vault.servers.filter(name=name).first()
        if owner is None:
            raise OperationRefused(NOT_FOUND, detail=f"No server named {name}.")
    if not owner.key_envelope:
        raise OperationRefused(KEY_ENVELOPE_MISSING)
    return owner.key_envelope


def change_passphrase(server, raw_pin, envelope, client_address=None):
    """Replace the server's wrapped key after the version and PIN checks."""
    vault = server.vault
    label = audit.server_label(server)
    if not server.key_envelope:
        raise OperationRefused(KEY_ENVELOPE_MISSING)
    if vault.security_settings_enabled:
        # The version is checked before the PIN, as the reference's 120002
        # says to update first and only then use a PIN; an old agent so
        # never burns one.
        if not server.is_supported_for_security:
            _refuse_passphrase(server, PASSPHRASE_CLIENT_UNSUPPORTED, client_address)
        try:
            spend_pin(vault, raw_pin, label=label, client_address=client_address)
        except OperationRefused as refusal:
            _refuse_passphrase(server, refusal.entry, client_address)
    with transaction.atomic():
        locked = RegisteredServer.objects.select_for_update().get(pk=server.pk)
        locked.key_envelope = envelope
        locked.save(update_fields=["key_envelope"])
        audit.record(
            vault,
            Operation.PASSPHRASE_CHANGED,
            Outcome.ALLOWED,
            label=label,
            detail=f"Agent {server.agent_version}.",
            client_address=client_address,
        )
    server.key_envelope = envelope
    return server


def _refuse_passphrase(server, entry, client_address):
    with transaction.atomic():
        audit.record(
            server.vault,
            Operation.PASSPHRASE_CHANGED,
            Outcome.REFUSED,
            label=audit.server_label(server),
            error_code=entry.code,
            detail=f"Agent {server.agent_version}.",
            client_address=client_address,
        )
    raise OperationRefused(entry)


# Protected items, chunks and recovery points


def policy_named(vault, name):
    policy = vault.policies.filter(name=name).first()
    if policy is None:
        raise OperationRefused(POLICY_NOT_FOUND, detail=f"No policy named {name}.")
    return policy


def protect_item(server, source, policy_name):
    """Protect a folder of the server under a policy of its vault."""
    policy = policy_named(server.vault, policy_name)
    with transaction.atomic():
        item = (
            ProtectedItem.objects.select_for_update()
            .filter(server=server, source=source)
            .exclude(state=ItemState.PURGED)
            .first()
        )
        if item is None:
            return ProtectedItem.objects.create(
                server=server, source=source, policy=policy
            )
        if item.state == ItemState.SOFT_DELETED:
            # Bringing back deleted data is Undelete's business, in the portal
            # with a second factor, not the machine's.
            raise OperationRefused(
                ITEM_NOT_PROTECTED,
                detail="Its backup data is deleted: undelete it in the portal "
                "(Deleted items) first.",
            )
        item.policy = policy
        item.state = ItemState.PROTECTED
        item.save(update_fields=["policy", "state"])
    return item


def protected_item(server, source):
    item = (
        ProtectedItem.objects.select_related("policy")
        .filter(server=server, source=source, state=ItemState.PROTECTED)
        .first()
    )
    if item is None:
        raise OperationRefused(ITEM_NOT_PROTECTED, detail=source)
    return item


def missing_chunks(server, digests):
    """Return which of the given chunk digests the vault does not hold."""
    wanted = set(digests)
    held = set()
    ordered = sorted(wanted)
    for start in range(0, len(ordered), LOOKUP_BATCH):
        batch = ordered[start : start + LOOKUP_BATCH]
        held.update(
            Chunk.objects.filter(vault=server.vault, digest__in=batch).values_list(
                "digest", flat=True
            )
        )
    return wanted - held


def store_chunk(server, digest, stream, length, limit):
    """Keep a chunk once per vault; an existing chunk is never overwritten."""
    vault = server.vault
    name = blobs.chunk_name(vault.pk, digest)
    existing = Chunk.objects.filter(vault=vault, digest=digest).first()
    if existing is not None:
        # Refusing to overwrite is what keeps an attacker on a protected
        # machine from replacing data that earlier points rely on.
        return existing, False
    stored_name = blobs.save_stream(name, stream, length, limit)
    try:
        with transaction.atomic():
            chunk = Chunk.objects.create(
                vault=vault, digest=digest, size=length, blob=stored_name
            )
    except IntegrityError:
        blobs.delete(stored_name)
        return Chunk.objects.get(vault=vault, digest=digest), False
    return chunk, True


def chunk_in_vault(server, digest):
    if not blobs.is_digest(digest):
        raise OperationRefused(NOT_FOUND, detail="A chunk ID is 64 hex digits.")
    chunk = Chunk.objects.filter(vault=server.vault, digest=digest).first()
    if chunk is None:
        raise OperationRefused(NOT_FOUND, detail=f"No chunk {digest}.")
    return chunk


def record_point(server, source, manifest, chunk_digests, stats):
    """Record a recovery point whose chunks are all held by the vault."""
    item = protected_item(server, source)
    digests = set(chunk_digests)
    missing = missing_chunks(server, digests)
    if missing:
        raise OperationRefused(
            CHUNKS_MISSING, detail=f"{len(missing)} chunks are not stored."
        )
    stored_name = blobs.save_bytes(blobs.manifest_name(server.vault_id), manifest)
    now = timezone.now()
    with transaction.atomic():
        point = RecoveryPoint.objects.create(
            item=item,
            taken_at=now,
            size=stats.get("bytes", 0),
            file_count=stats.get("files", 0),
            manifest_blob=stored_name,
            expires_at=retention.expiry_for(item, item.policy, now),
        )
        _link_chunks(server, point, sorted(digests))
    logger.info(
        "recovery point vault=%s server=%s item=%s point=%s",
        server.vault_id,
        server.pk,
        item.pk,
        point.pk,
    )
    return point


def _link_chunks(server, point, digests):
    through = RecoveryPoint.chunks.through
    for start in range(0, len(digests), LOOKUP_BATCH):
        batch = digests[start : start + LOOKUP_BATCH]
        # The row locks keep a purge from removing a chunk between the check
        # for missing chunks and this link; a chunk purged just before is
        # missing here, and the point is refused rather than left short.
        chunk_ids = list(
            Chunk.objects.select_for_update()
            .filter(vault=server.vault, digest__in=batch)
            .values_list("pk", flat=True)
        )
        if len(chunk_ids) != len(batch):
            raise OperationRefused(
                CHUNKS_MISSING,
                detail=f"{len(batch) - len(chunk_ids)} chunks were removed "
                "meanwhile; back up again.",
            )
        through.objects.bulk_create(
            [through(recoverypoint_id=point.pk, chunk_id=pk) for pk in chunk_ids]
        )


def points_of(server, source, owner_name=None):
    """List an item's points; owner_name reads another server's, for recovery."""
    owner = server
    if owner_name is not None and owner_name != server.name:
        owner = server.vault.servers.filter(name=owner_name).first()
        if owner is None:
            raise OperationRefused(NOT_FOUND, detail=f"No server named {owner_name}.")
    item = (
        ProtectedItem.objects.filter(server=owner, source=source)
        .exclude(state=ItemState.PURGED)
        .order_by("-created_at")
        .first()
    )
    if item is None:
        raise OperationRefused(ITEM_NOT_PROTECTED, detail=source)
    return item.points.order_by("-taken_at", "-pk")


def open_point_for_restore(server, point_id, client_address=None):
    """Return a point to restore; audit a recovery to an alternate machine."""
    point = point_in_vault(server, point_id)
    if point.item.server_id != server.pk:
        soft_delete.record_recovery_elsewhere(point.item, server, point, client_address)
    return point


def item_to_stop(server, source):
    item = (
        ProtectedItem.objects.filter(
            server=server,
            source=source,
            state__in=[ItemState.PROTECTED, ItemState.STOPPED],
        )
        .select_related("server__vault")
        .first()
    )
    if item is None:
        raise OperationRefused(ITEM_NOT_PROTECTED, detail=source)
    return item


def point_in_vault(server, point_id):
    """Return a recovery point of any server in the vault, for restore."""
    point = (
        RecoveryPoint.objects.select_related("item__server")
        .filter(pk=point_id, item__server__vault=server.vault)
        .exclude(item__state=ItemState.PURGED)
        .first()
    )
    if point is None:
        raise OperationRefused(NOT_FOUND, detail=f"No recovery point {point_id}.")
    return point


# Backup policies and minimum retention


def retention_shortfalls(values):
    """Map each retention field below the security minimum to a sentence."""
    found = {}
    for field, (minimum, unit) in RETENTION_MINIMUMS.items():
        if values[field] < minimum:
            found[field] = (
                f"{RETENTION_NAMES[field]} retention must be at least {minimum} {unit}."
            )
    return found


def change_retention(
    policy, values, *, user=None, server=None, schedule_time=None, client_address=None
):
    """Set a policy's retention, keeping the minimum while security is on.

    Exactly one of user (the portal) and server (an agent) asks.
    """
    vault = policy.vault
    reduced = [f for f in RETENTION_FIELDS if values[f] < getattr(policy, f)]
    if user is not None and reduced:
        authorise(
            user,
            vault,
            CHANGE_ROLES,
            Operation.RETENTION_REDUCED,
            detail=f"Policy {policy.name}",
            client_address=client_address,
        )
    elif user is not None:
        require_verified(user)
        require_role(user, vault, CHANGE_ROLES)
    label = audit.server_label(server) if server is not None else ""
    shortfalls = retention_shortfalls(values) if vault.security_settings_enabled else {}
    if shortfalls:
        entry = RETENTION_BELOW_MINIMUM
        if server is not None and not server.is_supported_for_security:
            entry = RETENTION_CLIENT_UNSUPPORTED
        with transaction.atomic():
            audit.record(
                vault,
                Operation.RETENTION_REDUCED,
                Outcome.REFUSED,
                user=user,
                label=label,
                error_code=entry.code,
                detail=f"Policy {policy.name}: " + " ".join(shortfalls.values()),
                client_address=client_address,
            )
        raise RetentionRefused(entry, shortfalls)
    with transaction.atomic():
        for field in RETENTION_FIELDS:
            setattr(policy, field, values[field])
        changed = list(RETENTION_FIELDS)
        if schedule_time is not None:
            policy.schedule_time = schedule_time
            changed.append("schedule_time")
        policy.save(update_fields=changed)
        if reduced:
            audit.record(
                vault,
                Operation.RETENTION_REDUCED,
                Outcome.ALLOWED,
                user=user,
                label=label,
                detail=f"Policy {policy.name}: "
                + ", ".join(f"{RETENTION_NAMES[f]} {values[f]}" for f in reduced),
                client_address=client_address,
            )
    return policy


def create_policy(vault, user, name, values, schedule_time, client_address=None):
    """Create a backup policy whose retention meets the vault's minimum."""
    require_verified(user)
    require_role(user, vault, CHANGE_ROLES)
    if vault.security_settings_enabled:
        shortfalls = retention_shortfalls(values)
        if shortfalls:
            audit.record_refusal(
                vault,
                Operation.RETENTION_REDUCED,
                RETENTION_BELOW_MINIMUM,
                user=user,
                detail=f"New policy {name}: " + " ".join(shortfalls.values()),
                client_address=client_address,
            )
            raise RetentionRefused(RETENTION_BELOW_MINIMUM, shortfalls)
    return BackupPolicy.objects.create(
        vault=vault, name=name, schedule_time=schedule_time, **values
    )


def minimum_for(server):
    """Say what a server's kind needs for security features."""
    return minimum_description(server.kind)
