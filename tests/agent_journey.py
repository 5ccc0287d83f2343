"""Helpers for journeys that run the real agent against a live portal."""

import os
import stat
from pathlib import Path

from vaults import rules

REPOSITORY = Path(__file__).resolve().parents[1]
OLD_PASSPHRASE = "correct horse battery staple"
NEW_PASSPHRASE = "a different and longer passphrase"


def build_tree(root):
    """Write a folder with nested folders, empty files, unicode, links, modes."""
    files = {
        "docs/readme.txt": (b"Strongroom keeps this.\n", 0o644),
        "docs/empty.txt": (b"", 0o644),
        "nested/a/b/deep.bin": (os.urandom(1024 * 1024 + 4321), 0o640),
        "\u00fcn\u00efc\u00f8d\u00e9/\u65e5\u672c\u8a9e.txt": (
            "h\u00e9".encode(),
            0o644,
        ),
        "run.sh": (b"#!/bin/sh\necho hi\n", 0o755),
        "private.key": (b"secret-ish", 0o600),
        "same-1.bin": (b"x" * 5000, 0o644),
        "same-2.bin": (b"x" * 5000, 0o644),
    }
    for relative, (data, mode) in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        path.chmod(mode)
    (root / "empty-folder").mkdir()
    os.symlink("docs/readme.txt", root / "link-to-readme")
    os.symlink("/nonexistent/target", root / "dangling")
    os.symlink("nested", root / "linked-folder")
    (root / "read-only").mkdir()
    (root / "read-only" / "inside.txt").write_text("kept")
    (root / "read-only").chmod(0o555)
    paths = sorted(root.rglob("*"), key=lambda p: len(p.parts), reverse=True)
    for number, path in enumerate(paths):
        when = 1_650_000_000_000_000_000 + number * 1_000_003
        os.utime(path, ns=(when, when), follow_symlinks=False)
    return root


def describe(root):
    """Return every entry under root with its kind, mode, time and content."""
    found = {}
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            full = os.path.join(folder, name)
            info = os.lstat(full)
            record = {"mtime_ns": info.st_mtime_ns}
            if stat.S_ISLNK(info.st_mode):
                record["link"] = os.readlink(full)
            else:
                record["mode"] = stat.S_IMODE(info.st_mode)
                if stat.S_ISREG(info.st_mode):
                    record["content"] = Path(full).read_bytes()
                else:
                    record["dir"] = True
            found[os.path.relpath(full, root)] = record
    return found


def pin_for(vault, user):
    user.is_verified = lambda: True
    text, _ = rules.generate_pin(vault, user)
    return text
