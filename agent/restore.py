"""Restore a recovery point into an empty folder, verifying every chunk."""

import os
import secrets
from dataclasses import asdict, dataclass

from agent.crypto import KeyRing
from agent.errors import TamperedChunk, TargetNotEmpty, TargetUnwritable, UnsafePath
from agent.manifest import DIR, FILE, SYMLINK, Manifest


@dataclass
class RestoreStats:
    """Count what a restore wrote."""

    files: int = 0
    dirs: int = 0
    symlinks: int = 0
    bytes: int = 0

    def to_dict(self):
        """Return the counts as a JSON-ready dictionary."""
        return asdict(self)


def restore(point_id, store, data_key, target_dir, progress=None):
    """Recreate a recovery point's tree in target_dir and return the counts."""
    ring = KeyRing(data_key)
    manifest = Manifest.from_json(ring.open_manifest(store.get_point(point_id)))
    # The stores turn their own failures into AgentErrors, so an OSError
    # here comes from the target: a missing parent, no room, no permission.
    try:
        return _write_tree(manifest, store, ring, target_dir, progress)
    except OSError as exc:
        raise TargetUnwritable(cause=str(exc)) from None


def _write_tree(manifest, store, ring, target_dir, progress):
    target = _prepare_target(os.fspath(target_dir))
    stats = RestoreStats()
    for entry in manifest.entries:
        destination = _destination(target, entry.path)
        if entry.kind == DIR:
            # Owner-only until the end, when the recorded mode is applied.
            os.mkdir(destination, 0o700)
            stats.dirs += 1
        elif entry.kind == FILE:
            _write_file(destination, entry, store, ring, progress)
            stats.files += 1
            stats.bytes += entry.size
            if progress is not None:
                progress.update(files=1)
        elif entry.kind == SYMLINK:
            os.symlink(entry.target, destination)
            _set_times(destination, entry.mtime_ns, follow_symlinks=False)
            stats.symlinks += 1
    # Deepest folders first, after all their contents: writing a child
    # changes a folder's time, and a read-only mode would block the child.
    for entry in reversed(manifest.entries):
        if entry.kind == DIR:
            destination = _destination(target, entry.path)
            os.chmod(destination, entry.mode)
            _set_times(destination, entry.mtime_ns)
    return stats


def _prepare_target(target):
    if os.path.islink(target):
        raise TargetNotEmpty(f"The restore target {target} is a symbolic link.")
    if os.path.exists(target):
        if not os.path.isdir(target):
            raise TargetNotEmpty(f"The restore target {target} is not a folder.")
        # An empty target means nothing in it predates the restore, so no
        # link planted there can redirect a write outside it.
        if os.listdir(target):
            raise TargetNotEmpty(f"The restore target {target} is not empty.")
    else:
        os.makedirs(target)
    return os.path.realpath(target)


def _destination(target, path):
    destination = os.path.join(target, *path.split("/"))
    # The manifest was checked already; this second look at the real parent
    # holds even if a future change lets the checks drift.
    parent = os.path.realpath(os.path.dirname(destination))
    if parent != target and not parent.startswith(target + os.sep):
        raise UnsafePath(cause=f"{path!r} resolves outside the target.")
    return destination


def _write_file(destination, entry, store, ring, progress):
    folder = os.path.dirname(destination)
    temporary = os.path.join(folder, f".strongroom-{secrets.token_hex(8)}")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW
    descriptor = os.open(temporary, flags, 0o600)
    try:
        with os.fdopen(descriptor, "wb") as out:
            written = 0
            for chunk_id in entry.chunks:
                plaintext = ring.open_chunk(chunk_id, store.get_chunk(chunk_id))
                out.write(plaintext)
                written += len(plaintext)
                if progress is not None:
                    progress.update(size=len(plaintext))
            if written != entry.size:
                raise TamperedChunk(
                    cause=f"{entry.path!r} came to {written} bytes, "
                    f"not the {entry.size} recorded."
                )
            out.flush()
            os.fchmod(out.fileno(), entry.mode)
            _set_times(out.fileno(), entry.mtime_ns)
        # Only a complete, verified file ever appears under its real name.
        os.replace(temporary, destination)
    except BaseException:
        if os.path.lexists(temporary):
            os.unlink(temporary)
        raise


def _set_times(path, mtime_ns, follow_symlinks=True):
    # Access times are not recorded; using the modification time keeps the
    # restored tree reproducible instead of stamping it with "now".
    os.utime(path, ns=(mtime_ns, mtime_ns), follow_symlinks=follow_symlinks)
