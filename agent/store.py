"""Where backup chunks and recovery points are kept: the interface and two stores."""

import abc
import json
import os
import re
import secrets
import tempfile

from agent.crypto import CHUNK_ID_PATTERN
from agent.errors import ChunkMissing, PointNotFound

POINT_ID_PATTERN = re.compile(r"[0-9a-f]{32}")


class Store(abc.ABC):
    """Hold encrypted chunks and recovery points; sees no plaintext or key."""

    @abc.abstractmethod
    def missing_chunks(self, chunk_ids):
        """Return the set of the given chunk IDs that the store does not hold."""

    @abc.abstractmethod
    def put_chunk(self, chunk_id, ciphertext):
        """Keep a chunk's ciphertext under its ID; a second put is harmless."""

    @abc.abstractmethod
    def get_chunk(self, chunk_id):
        """Return a chunk's ciphertext, or raise ChunkMissing."""

    @abc.abstractmethod
    def put_point(self, item_path, manifest_ciphertext, stats):
        """Record a recovery point for a protected item and return its ID."""

    @abc.abstractmethod
    def get_point(self, point_id):
        """Return a recovery point's encrypted manifest, or raise PointNotFound."""


def new_point_id():
    """Return a fresh random recovery point ID."""
    return secrets.token_hex(16)


class MemoryStore(Store):
    """Keep everything in dictionaries, for tests and dry runs."""

    def __init__(self):
        self.chunks = {}
        self.points = {}

    def missing_chunks(self, chunk_ids):
        return {chunk_id for chunk_id in chunk_ids if chunk_id not in self.chunks}

    def put_chunk(self, chunk_id, ciphertext):
        _check_chunk_id(chunk_id)
        self.chunks.setdefault(chunk_id, bytes(ciphertext))

    def get_chunk(self, chunk_id):
        try:
            return self.chunks[chunk_id]
        except KeyError:
            raise ChunkMissing(cause=f"Chunk {chunk_id} is not stored.") from None

    def put_point(self, item_path, manifest_ciphertext, stats):
        point_id = new_point_id()
        self.points[point_id] = {
            "item_path": item_path,
            "manifest": bytes(manifest_ciphertext),
            "stats": dict(stats),
        }
        return point_id

    def get_point(self, point_id):
        try:
            return self.points[point_id]["manifest"]
        except (KeyError, TypeError):
            raise PointNotFound(cause=f"No point {point_id!r}.") from None


class DirectoryStore(Store):
    """Keep chunks and points as files under one local folder."""

    def __init__(self, root):
        self.root = os.fspath(root)
        os.makedirs(os.path.join(self.root, "chunks"), exist_ok=True)
        os.makedirs(os.path.join(self.root, "points"), exist_ok=True)

    def _chunk_path(self, chunk_id):
        _check_chunk_id(chunk_id)
        # A two-character fan-out keeps any one folder from holding millions
        # of files.
        return os.path.join(self.root, "chunks", chunk_id[:2], chunk_id)

    def _point_path(self, point_id, suffix):
        if not isinstance(point_id, str) or not POINT_ID_PATTERN.fullmatch(point_id):
            raise PointNotFound(cause=f"{point_id!r} is not a point ID.")
        return os.path.join(self.root, "points", point_id + suffix)

    def missing_chunks(self, chunk_ids):
        return {
            chunk_id
            for chunk_id in chunk_ids
            if not os.path.exists(self._chunk_path(chunk_id))
        }

    def put_chunk(self, chunk_id, ciphertext):
        path = self._chunk_path(chunk_id)
        if os.path.exists(path):
            return
        os.makedirs(os.path.dirname(path), exist_ok=True)
        _write_atomically(path, ciphertext)

    def get_chunk(self, chunk_id):
        try:
            with open(self._chunk_path(chunk_id), "rb") as stored:
                return stored.read()
        except FileNotFoundError:
            raise ChunkMissing(cause=f"Chunk {chunk_id} is not stored.") from None

    def put_point(self, item_path, manifest_ciphertext, stats):
        point_id = new_point_id()
        record = {"item_path": item_path, "stats": dict(stats)}
        _write_atomically(self._point_path(point_id, ".manifest"), manifest_ciphertext)
        # The record is written last: a point whose record exists is complete.
        _write_atomically(
            self._point_path(point_id, ".json"), json.dumps(record).encode()
        )
        return point_id

    def get_point(self, point_id):
        manifest_path = self._point_path(point_id, ".manifest")
        try:
            if os.path.exists(self._point_path(point_id, ".json")):
                with open(manifest_path, "rb") as stored:
                    return stored.read()
        except FileNotFoundError:
            pass
        raise PointNotFound(cause=f"No point {point_id!r}.")

    def point_record(self, point_id):
        """Return the item path and stats recorded with a point."""
        try:
            with open(self._point_path(point_id, ".json"), "rb") as stored:
                return json.load(stored)
        except FileNotFoundError:
            raise PointNotFound(cause=f"No point {point_id!r}.") from None


def _check_chunk_id(chunk_id):
    # IDs become file names here and URLs later; only hex is ever accepted.
    if not isinstance(chunk_id, str) or not CHUNK_ID_PATTERN.fullmatch(chunk_id):
        raise ValueError(f"{chunk_id!r} is not a chunk ID.")


def _write_atomically(path, data):
    folder = os.path.dirname(path)
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=".incoming-")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise
