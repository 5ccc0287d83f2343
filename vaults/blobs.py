"""Backup blobs in Django's default storage, named only from checked values."""

import re
import secrets
import tempfile

from django.core.files import File
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from vaults.errors import REQUEST_INVALID, REQUEST_TOO_LARGE, OperationRefused

DIGEST_PATTERN = re.compile(r"[0-9a-f]{64}")
COPY_BLOCK = 64 * 1024
# Bodies up to this size stay in memory while they arrive; larger ones spill
# to a temporary file, so no upload ever sits whole in memory.
SPOOL_IN_MEMORY = 1024 * 1024


def is_digest(text):
    return isinstance(text, str) and DIGEST_PATTERN.fullmatch(text) is not None


def chunk_name(vault_id, digest):
    """Return the storage name of a vault's chunk; the digest must be hex."""
    if not is_digest(digest):
        raise OperationRefused(REQUEST_INVALID, detail="A chunk ID is 64 hex digits.")
    return f"vaults/{int(vault_id)}/chunks/{digest[:2]}/{digest}"


def manifest_name(vault_id):
    """Return a fresh storage name for a recovery point's manifest."""
    return f"vaults/{int(vault_id)}/manifests/{secrets.token_hex(16)}"


def save_stream(name, stream, length, limit):
    """Copy length bytes of a stream into storage, refusing over limit."""
    if length > limit:
        raise OperationRefused(
            REQUEST_TOO_LARGE, detail=f"This operation accepts up to {limit} bytes."
        )
    with tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY) as spooled:
        remaining = length
        while remaining:
            block = stream.read(min(COPY_BLOCK, remaining))
            if not block:
                break
            spooled.write(block)
            remaining -= len(block)
        if remaining:
            raise OperationRefused(
                REQUEST_INVALID, detail="The body ended before its Content-Length."
            )
        spooled.seek(0)
        return default_storage.save(name, File(spooled, name=name))


def save_bytes(name, data):
    """Store bytes under name; return the name the storage used."""
    return default_storage.save(name, ContentFile(data, name=name))


def open_blob(name):
    return default_storage.open(name, "rb")


def delete(name):
    default_storage.delete(name)
