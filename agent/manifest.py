"""Describe a folder tree as a manifest of entries, and read one back safely."""

import json
import logging
import os
import stat
from dataclasses import dataclass, field

from agent.crypto import CHUNK_ID_PATTERN
from agent.errors import SourceUnreadable, TamperedManifest, UnsafePath

logger = logging.getLogger(__name__)

MANIFEST_FORMAT = "strongroom-manifest/1"
DIR, FILE, SYMLINK = "dir", "file", "symlink"
KINDS = (DIR, FILE, SYMLINK)


@dataclass
class Entry:
    """Hold one directory, regular file or symbolic link of a backed-up tree."""

    path: str
    kind: str
    mode: int
    mtime_ns: int
    size: int = 0
    chunks: list[str] = field(default_factory=list)
    target: str | None = None

    def to_dict(self):
        """Return the entry as JSON-ready data, leaving out unused fields."""
        data = {
            "path": self.path,
            "kind": self.kind,
            "mode": self.mode,
            "mtime_ns": self.mtime_ns,
        }
        if self.kind == FILE:
            data["size"] = self.size
            data["chunks"] = list(self.chunks)
        if self.kind == SYMLINK:
            data["target"] = self.target
        return data


@dataclass
class Manifest:
    """Hold the entries of one recovery point and the folder they came from."""

    source: str
    entries: list[Entry] = field(default_factory=list)

    def to_json(self):
        """Return the manifest as UTF-8 JSON bytes."""
        document = {
            "format": MANIFEST_FORMAT,
            "source": self.source,
            "entries": [entry.to_dict() for entry in self.entries],
        }
        # ensure_ascii escapes the lone surrogates that os.fsdecode makes of
        # names that are not valid UTF-8, so such names survive the trip.
        return json.dumps(document, ensure_ascii=True).encode("ascii")

    @classmethod
    def from_json(cls, data):
        """Parse manifest bytes, refusing malformed entries and unsafe paths."""
        try:
            document = json.loads(data)
        except (ValueError, TypeError) as exc:
            raise TamperedManifest(cause="The manifest is not JSON.") from exc
        if not isinstance(document, dict):
            raise TamperedManifest(cause="The manifest is not an object.")
        if document.get("format") != MANIFEST_FORMAT:
            raise TamperedManifest(cause="The manifest format is not recognised.")
        raw_entries = document.get("entries")
        if not isinstance(raw_entries, list):
            raise TamperedManifest(cause="The manifest has no entry list.")
        entries = [_entry_from_dict(raw) for raw in raw_entries]
        _check_tree_shape(entries)
        return cls(source=str(document.get("source", "")), entries=entries)


def check_relative_path(path):
    """Refuse a manifest path that is absolute, empty or climbs with '..'."""
    if not isinstance(path, str) or not path:
        raise UnsafePath(cause="A path is empty.")
    if "\x00" in path:
        raise UnsafePath(cause="A path contains a NUL character.")
    if path.startswith("/"):
        raise UnsafePath(cause=f"The path {path!r} is absolute.")
    for part in path.split("/"):
        if part in ("", ".", ".."):
            raise UnsafePath(cause=f"The path {path!r} is not a plain relative one.")


def parent_of(path):
    """Return the manifest path of an entry's folder, or '' for the top."""
    return path.rpartition("/")[0]


def scan_tree(folder, skipped=None):
    """Yield an entry for each folder, file and link under folder, sorted."""
    if not os.path.isdir(folder):
        raise SourceUnreadable(cause=f"{folder} is not a folder.")
    yield from _scan_dir(os.fspath(folder), "", skipped)


def _scan_dir(root, prefix, skipped):
    directory = os.path.join(root, prefix) if prefix else root
    try:
        with os.scandir(directory) as listing:
            children = sorted(listing, key=lambda child: child.name)
    except FileNotFoundError:
        return  # removed while the backup ran; nothing left to keep
    except OSError as exc:
        raise SourceUnreadable(cause=f"{directory}: {exc.strerror}") from exc
    for child in children:
        path = f"{prefix}/{child.name}" if prefix else child.name
        try:
            info = child.stat(follow_symlinks=False)
            entry = _entry_from_stat(child.path, path, info)
        except FileNotFoundError:
            continue
        if entry is None:
            logger.info("Skipping %s: not a file, folder or link", path)
            if skipped is not None:
                skipped.append(path)
            continue
        yield entry
        if entry.kind == DIR:
            yield from _scan_dir(root, path, skipped)


def _entry_from_stat(full_path, path, info):
    common = {
        "path": path,
        "mode": stat.S_IMODE(info.st_mode),
        "mtime_ns": info.st_mtime_ns,
    }
    if stat.S_ISLNK(info.st_mode):
        return Entry(kind=SYMLINK, target=os.readlink(full_path), **common)
    if stat.S_ISDIR(info.st_mode):
        return Entry(kind=DIR, **common)
    if stat.S_ISREG(info.st_mode):
        return Entry(kind=FILE, size=info.st_size, **common)
    return None


def _entry_from_dict(raw):
    if not isinstance(raw, dict):
        raise TamperedManifest(cause="A manifest entry is not an object.")
    path = raw.get("path")
    check_relative_path(path)
    kind = raw.get("kind")
    mode = raw.get("mode")
    mtime_ns = raw.get("mtime_ns")
    if kind not in KINDS:
        raise TamperedManifest(cause=f"Entry {path!r} has an unknown kind.")
    if not _is_int(mode) or not 0 <= mode <= 0o7777:
        raise TamperedManifest(cause=f"Entry {path!r} has a bad mode.")
    if not _is_int(mtime_ns):
        raise TamperedManifest(cause=f"Entry {path!r} has a bad time.")
    entry = Entry(path=path, kind=kind, mode=mode, mtime_ns=mtime_ns)
    if kind == FILE:
        entry.size, entry.chunks = _file_fields(raw, path)
    if kind == SYMLINK:
        entry.target = raw.get("target")
        if not isinstance(entry.target, str) or not entry.target:
            raise TamperedManifest(cause=f"Link {path!r} has no target.")
        if "\x00" in entry.target:
            raise TamperedManifest(cause=f"Link {path!r} has a NUL in its target.")
    return entry


def _file_fields(raw, path):
    size = raw.get("size")
    chunks = raw.get("chunks")
    if not _is_int(size) or size < 0:
        raise TamperedManifest(cause=f"File {path!r} has a bad size.")
    if not isinstance(chunks, list) or not all(
        isinstance(c, str) and CHUNK_ID_PATTERN.fullmatch(c) for c in chunks
    ):
        raise TamperedManifest(cause=f"File {path!r} has bad chunk IDs.")
    return size, chunks


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def _check_tree_shape(entries):
    # Every entry must sit in a folder listed before it. This is what stops a
    # crafted manifest from restoring a link "a" -> "/etc" and then a file
    # "a/passwd" through it: "a" is a link, not a folder, so it is refused.
    folders = {""}
    seen = set()
    for entry in entries:
        if entry.path in seen:
            raise TamperedManifest(cause=f"{entry.path!r} appears twice.")
        if parent_of(entry.path) not in folders:
            raise UnsafePath(
                cause=f"{entry.path!r} is not inside a folder of the manifest."
            )
        seen.add(entry.path)
        if entry.kind == DIR:
            folders.add(entry.path)
