import os
import stat

import pytest

MIB = 1024 * 1024


@pytest.fixture
def data_key():
    return os.urandom(32)


def _write(path, data, mode=0o644):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    os.chmod(path, mode)


@pytest.fixture
def sample_tree(tmp_path):
    """Build a folder with every kind of entry the agent must keep."""
    root = tmp_path / "source"
    root.mkdir()
    _write(root / "docs" / "readme.txt", b"Strongroom keeps this.\n")
    _write(root / "docs" / "empty.txt", b"")
    (root / "empty-folder").mkdir()
    big = bytes(range(256)) * (MIB // 256)
    _write(root / "nested" / "a" / "b" / "deep.bin", big * 2 + b"tail" * 100)
    _write(
        root / "\u00fcn\u00efc\u00f8d\u00e9" / "\u65e5\u672c.txt", "h\u00e9".encode()
    )
    _write(root / "script.sh", b"#!/bin/sh\necho hi\n", mode=0o755)
    _write(root / "private", b"secret-ish", mode=0o600)
    _write(root / os.fsdecode(b"latin1-\xe9.txt"), b"not UTF-8 named")
    _write(root / "sealed" / "inside.txt", b"in a read-only folder")
    os.symlink("docs/readme.txt", root / "link-to-readme")
    os.symlink("/nonexistent/target", root / "dangling")
    os.symlink("/etc/hostname", root / "absolute-link")
    os.symlink("nested", root / "linked-folder")
    os.chmod(root / "sealed", 0o555)
    _stamp_times(root)
    return root


def _stamp_times(root):
    # Distinct nanosecond times on everything, deepest first so that setting
    # a child's time does not disturb its folder's afterwards.
    paths = sorted(root.rglob("*"), key=lambda p: len(p.parts), reverse=True)
    for number, path in enumerate(paths):
        when = 1_600_000_000_123_456_789 + number * 1_000_003
        os.utime(path, ns=(when, when), follow_symlinks=False)


def snapshot(root):
    """Return every entry under root with its kind, metadata and content."""
    result = {}
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            full = os.path.join(folder, name)
            info = os.lstat(full)
            relative = os.path.relpath(full, root)
            record = {
                "mode": stat.S_IMODE(info.st_mode),
                "mtime_ns": info.st_mtime_ns,
            }
            if stat.S_ISLNK(info.st_mode):
                record["link"] = os.readlink(full)
                del record["mode"]  # Linux gives every link 0o777
            elif stat.S_ISDIR(info.st_mode):
                record["dir"] = True
            else:
                with open(full, "rb") as handle:
                    record["content"] = handle.read()
            result[relative] = record
    return result


@pytest.fixture
def tree_snapshot():
    return snapshot
