"""Back up a folder into a store, uploading only the chunks it lacks."""

import os
from dataclasses import asdict, dataclass
from typing import NamedTuple

from agent.chunking import iter_chunks
from agent.crypto import KeyRing
from agent.errors import SourceUnreadable
from agent.manifest import DIR, FILE, SYMLINK, Manifest, scan_tree

# Chunks wait in memory until this many can be checked against the store in
# one question. More would mean fewer round trips to the portal but more
# memory: at 1 MiB a chunk this keeps a backup to a few MiB at any size.
BATCH_CHUNKS = 4


@dataclass
class BackupStats:
    """Count what a backup saw and what it had to upload."""

    files: int = 0
    dirs: int = 0
    symlinks: int = 0
    bytes: int = 0
    chunks: int = 0
    new_chunks: int = 0
    new_bytes: int = 0
    skipped: int = 0

    def to_dict(self):
        """Return the counts as a JSON-ready dictionary."""
        return asdict(self)


class BackupResult(NamedTuple):
    point_id: str
    stats: BackupStats


def back_up(folder, store, data_key, progress=None):
    """Back up folder into store under data_key and return the new point."""
    folder = os.path.abspath(os.fspath(folder))
    ring = KeyRing(data_key)
    stats = BackupStats()
    uploader = _Uploader(store, ring, stats)
    skipped = []
    manifest = Manifest(source=folder)
    for entry in scan_tree(folder, skipped):
        if entry.kind == FILE:
            if not _read_file(folder, entry, uploader, stats, progress):
                continue
            stats.files += 1
            if progress is not None:
                progress.update(files=1)
        elif entry.kind == DIR:
            stats.dirs += 1
        elif entry.kind == SYMLINK:
            stats.symlinks += 1
        manifest.entries.append(entry)
    uploader.flush()
    stats.skipped = len(skipped)
    sealed = ring.seal_manifest(manifest.to_json())
    point_id = store.put_point(folder, sealed, stats.to_dict())
    return BackupResult(point_id, stats)


def _read_file(folder, entry, uploader, stats, progress):
    full_path = os.path.join(folder, *entry.path.split("/"))
    size = 0
    try:
        with open(full_path, "rb", buffering=0, opener=_open_no_follow) as stream:
            for chunk in iter_chunks(stream):
                entry.chunks.append(uploader.add(chunk))
                size += len(chunk)
                if progress is not None:
                    progress.update(size=len(chunk))
    except FileNotFoundError:
        return False  # removed between listing and reading
    except OSError as exc:
        raise SourceUnreadable(cause=f"{full_path}: {exc.strerror}") from exc
    # The size is what was read, not what stat said: a file that grew or
    # shrank meanwhile must still match its chunks on restore.
    entry.size = size
    stats.bytes += size
    stats.chunks += len(entry.chunks)
    return True


def _open_no_follow(path, flags):
    # The scan saw a regular file here; if it has since been swapped for a
    # link, refuse rather than back up whatever the link points at.
    return os.open(path, flags | os.O_NOFOLLOW)


class _Uploader:
    """Batch chunk IDs, ask the store which it lacks, and upload only those."""

    def __init__(self, store, ring, stats):
        self._store = store
        self._ring = ring
        self._stats = stats
        # Every ID seen this run is remembered so a repeated chunk costs no
        # question to the store; at about 100 bytes an ID this is 100 MiB per
        # TiB backed up, which the agent's hosts can afford.
        self._present = set()
        self._pending = {}

    def add(self, plaintext):
        chunk_id = self._ring.chunk_id(plaintext)
        if chunk_id not in self._present and chunk_id not in self._pending:
            self._pending[chunk_id] = plaintext
            if len(self._pending) >= BATCH_CHUNKS:
                self.flush()
        return chunk_id

    def flush(self):
        if not self._pending:
            return
        missing = self._store.missing_chunks(set(self._pending))
        for chunk_id, plaintext in self._pending.items():
            if chunk_id in missing:
                ciphertext = self._ring.encrypt_chunk(chunk_id, plaintext)
                self._store.put_chunk(chunk_id, ciphertext)
                self._stats.new_chunks += 1
                self._stats.new_bytes += len(ciphertext)
        self._present.update(self._pending)
        self._pending.clear()
