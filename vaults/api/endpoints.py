"""The agent API's operations: each parses, calls the rule layer, and answers."""

import base64
import binascii

import pydantic
from django.db.models import OuterRef, Subquery
from django.http import FileResponse
from ninja import Path, Query, Status
from ninja.errors import ValidationError

from vaults import blobs, server_rules, soft_delete
from vaults.access import client_address
from vaults.api import api
from vaults.api.auth import ServerCredential, content_length
from vaults.api.schemas import (
    DIGEST,
    NO_NUL,
    ChangePassphraseIn,
    ChunkIdsIn,
    ChunkIdsOut,
    Done,
    ItemOut,
    KeyEnvelope,
    PointIn,
    PointOut,
    PolicyOut,
    ProtectIn,
    RegisterIn,
    RegisterOut,
    RetentionIn,
    StatusOut,
    StopProtectionIn,
)
from vaults.errors import REQUEST_INVALID, OperationRefused
from vaults.models import ProtectedItem, RecoveryPoint

# A chunk is at most 1 MiB of plaintext plus nonce and tag; the cap leaves
# room for agents with larger chunks without letting a body grow unbounded.
CHUNK_BODY_LIMIT = 4 * 1024 * 1024
MIN_CHUNK_BYTES = 12 + 16
# A manifest names every file of a tree; 32 MiB of JSON is a few hundred
# thousand files.
POINT_BODY_LIMIT = 32 * 1024 * 1024
POINTS_PAGE_LIMIT = 500

server_auth = ServerCredential()


@api.post("/register", response={201: RegisterOut}, auth=None, tags=["servers"])
def register(request, payload: RegisterIn):
    """Register a server with one-use vault credentials."""
    server, credential = server_rules.register_server(
        payload.token,
        name=payload.name,
        kind=payload.kind,
        agent_version=payload.agent_version,
        product_version=payload.product_version,
        client_address=client_address(request),
    )
    vault = server.vault
    return Status(
        201,
        {
            "server_id": server.pk,
            "name": server.name,
            "vault_id": vault.pk,
            "vault_name": vault.name,
            "credential": credential,
            "security_settings_enabled": vault.security_settings_enabled,
        },
    )


@api.get("/status", response=StatusOut, auth=server_auth, tags=["servers"])
def status(request):
    """Describe this server, its vault and its protected items."""
    server = request.auth
    latest = RecoveryPoint.objects.filter(item=OuterRef("pk")).order_by(
        "-taken_at", "-pk"
    )
    items = (
        ProtectedItem.objects.filter(server=server)
        .select_related("policy")
        .annotate(latest_point_id=Subquery(latest.values("pk")[:1]))
        .order_by("source")[:200]
    )
    points = RecoveryPoint.objects.in_bulk(
        [item.latest_point_id for item in items if item.latest_point_id]
    )
    return {
        "name": server.name,
        "kind": server.kind,
        "agent_version": server.agent_version,
        "product_version": server.product_version,
        "meets_minimum": server.is_supported_for_security,
        "minimum": server_rules.minimum_for(server),
        "vault_id": server.vault_id,
        "vault_name": server.vault.name,
        "security_settings_enabled": server.vault.security_settings_enabled,
        "has_key_envelope": bool(server.key_envelope),
        "items": [_item_out(item, points.get(item.latest_point_id)) for item in items],
    }


def _item_out(item, latest_point=None):
    return {
        "source": item.source,
        "kind": item.kind,
        "state": item.state,
        "policy": item.policy.name if item.policy else None,
        "latest_point": latest_point,
        "purge_after": item.purge_after,
    }


@api.put("/key-envelope", response={204: None}, auth=server_auth, tags=["keys"])
def put_key_envelope(request, payload: KeyEnvelope):
    """Store the server's wrapped data key, once."""
    server_rules.store_key_envelope(request.auth, payload.model_dump())
    return Status(204, None)


@api.get("/key-envelope", response=KeyEnvelope, auth=server_auth, tags=["keys"])
def get_key_envelope(
    request, server: str | None = Query(None, max_length=100, pattern=NO_NUL)
):
    """Return the wrapped data key of this server or another of its vault."""
    return server_rules.key_envelope_for(request.auth, server)


@api.post("/change-passphrase", response=Done, auth=server_auth, tags=["keys"])
def change_passphrase(request, payload: ChangePassphraseIn):
    """Replace the wrapped key; needs a security PIN and a supported agent."""
    server_rules.change_passphrase(
        request.auth,
        payload.pin,
        payload.key_envelope.model_dump(),
        client_address=client_address(request),
    )
    return {"ok": True}


@api.post("/chunks/missing", response=ChunkIdsOut, auth=server_auth, tags=["data"])
def chunks_missing(request, payload: ChunkIdsIn):
    """Say which of the given chunk IDs the vault lacks."""
    bad = [chunk_id for chunk_id in payload.ids if not blobs.is_digest(chunk_id)]
    if bad:
        raise OperationRefused(REQUEST_INVALID, detail="A chunk ID is 64 hex digits.")
    return {"missing": sorted(server_rules.missing_chunks(request.auth, payload.ids))}


@api.put(
    "/chunks/{digest}",
    response={200: Done, 201: Done},
    auth=ServerCredential(body_limit=CHUNK_BODY_LIMIT),
    tags=["data"],
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/octet-stream": {
                    "schema": {"type": "string", "format": "binary"}
                }
            },
        }
    },
)
def put_chunk(request, digest: str = Path(..., pattern=DIGEST)):
    """Store an encrypted chunk; an existing one is kept as it is."""
    length = content_length(request)
    if length < MIN_CHUNK_BYTES:
        raise OperationRefused(
            REQUEST_INVALID,
            detail=f"A chunk body has at least {MIN_CHUNK_BYTES} bytes.",
        )
    _, created = server_rules.store_chunk(
        request.auth, digest, request, length, CHUNK_BODY_LIMIT
    )
    return Status(201 if created else 200, {"ok": True})


@api.get("/chunks/{digest}", auth=server_auth, tags=["data"])
def get_chunk(request, digest: str = Path(..., pattern=DIGEST)):
    """Stream an encrypted chunk of the vault."""
    chunk = server_rules.chunk_in_vault(request.auth, digest)
    return FileResponse(
        blobs.open_blob(chunk.blob), content_type="application/octet-stream"
    )


@api.post("/items", response={200: ItemOut}, auth=server_auth, tags=["items"])
def protect(request, payload: ProtectIn):
    """Protect a folder of this server under a backup policy."""
    item = server_rules.protect_item(request.auth, payload.source, payload.policy)
    return _item_out(item)


@api.post("/items/stop-protection", response=ItemOut, auth=server_auth, tags=["items"])
def stop_protection(request, payload: StopProtectionIn):
    """Stop protecting a folder; deleting its data needs a security PIN."""
    item = server_rules.item_to_stop(request.auth, payload.source)
    item = soft_delete.stop_protection_from_server(
        item,
        delete_data=payload.delete_data,
        raw_pin=payload.pin,
        client_address=client_address(request),
    )
    return _item_out(item)


@api.post(
    "/points",
    response={201: PointOut},
    auth=ServerCredential(body_limit=POINT_BODY_LIMIT),
    tags=["points"],
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": PointIn.model_json_schema()}},
        }
    },
)
def create_point(request):
    """Record a recovery point: its encrypted manifest and the chunks it uses."""
    # Read here rather than by ninja, whose body parsing is capped far lower
    # by Django's in-memory limit; the credential check has capped the size.
    payload = _parse(PointIn, request.read(POINT_BODY_LIMIT + 1))
    try:
        manifest = base64.b64decode(payload.manifest, validate=True)
    except (binascii.Error, ValueError):
        raise OperationRefused(REQUEST_INVALID, detail="manifest: not base64") from None
    if any(not blobs.is_digest(chunk_id) for chunk_id in payload.chunks):
        raise OperationRefused(REQUEST_INVALID, detail="A chunk ID is 64 hex digits.")
    point = server_rules.record_point(
        request.auth,
        payload.source,
        manifest,
        payload.chunks,
        payload.stats.model_dump(),
    )
    return Status(201, _point_out(point, request.auth.name, payload.source))


def _parse(schema, raw):
    try:
        return schema.model_validate_json(raw)
    except pydantic.ValidationError as exc:
        raise ValidationError(exc.errors(include_url=False)) from None


def _point_out(point, server_name, source):
    return {
        "id": point.pk,
        "taken_at": point.taken_at,
        "size": point.size,
        "file_count": point.file_count,
        "expires_at": point.expires_at,
        "source": source,
        "server": server_name,
    }


@api.get("/points", response=list[PointOut], auth=server_auth, tags=["points"])
def list_points(
    request,
    source: str = Query(..., min_length=1, max_length=1024, pattern=NO_NUL),
    limit: int = Query(100, ge=1, le=POINTS_PAGE_LIMIT),
    from_server: str | None = Query(None, min_length=1, max_length=100, pattern=NO_NUL),
):
    """List a folder's recovery points, newest first, of this or another server."""
    server = request.auth
    points = server_rules.points_of(server, source, from_server)[:limit]
    owner = from_server or server.name
    return [_point_out(point, owner, source) for point in points]


@api.get("/points/{point_id}", response=PointOut, auth=server_auth, tags=["points"])
def get_point(request, point_id: int):
    """Describe one recovery point of the vault."""
    point = server_rules.point_in_vault(request.auth, point_id)
    return _point_out(point, point.item.server.name, point.item.source)


@api.get("/points/{point_id}/manifest", auth=server_auth, tags=["points"])
def get_manifest(request, point_id: int):
    """Stream a recovery point's encrypted manifest."""
    point = server_rules.open_point_for_restore(
        request.auth, point_id, client_address(request)
    )
    return FileResponse(
        blobs.open_blob(point.manifest_blob), content_type="application/octet-stream"
    )


@api.get("/policies/{name}", response=PolicyOut, auth=server_auth, tags=["policies"])
def show_policy(request, name: str = Path(..., max_length=50, pattern=NO_NUL)):
    """Show a backup policy of the vault."""
    return _policy_out(server_rules.policy_named(request.auth.vault, name))


@api.put("/policies/{name}", response=PolicyOut, auth=server_auth, tags=["policies"])
def set_policy(
    request, payload: RetentionIn, name: str = Path(..., max_length=50, pattern=NO_NUL)
):
    """Change a policy's retention, refused below the minimum."""
    server = request.auth
    policy = server_rules.policy_named(server.vault, name)
    server_rules.change_retention(
        policy,
        payload.model_dump(),
        server=server,
        client_address=client_address(request),
    )
    return _policy_out(policy)


def _policy_out(policy):
    return {
        "name": policy.name,
        "schedule_time": policy.schedule_time.strftime("%H:%M")
        if hasattr(policy.schedule_time, "strftime")
        else str(policy.schedule_time),
        "daily_days": policy.daily_days,
        "weekly_weeks": policy.weekly_weeks,
        "monthly_months": policy.monthly_months,
        "yearly_years": policy.yearly_years,
        "security_settings_enabled": policy.vault.security_settings_enabled,
    }
