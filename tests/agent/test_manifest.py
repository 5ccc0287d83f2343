import json
import os

import pytest
from hypothesis import given
from hypothesis import strategies as st

from agent.errors import SourceUnreadable, TamperedManifest, UnsafePath
from agent.manifest import Entry, Manifest, check_relative_path, scan_tree

CHUNK = "ab" * 32


def _document(*entries):
    return json.dumps(
        {"format": "strongroom-manifest/1", "source": "/x", "entries": list(entries)}
    ).encode()


def _dir(path):
    return {"path": path, "kind": "dir", "mode": 0o755, "mtime_ns": 1}


def _file(path, chunks=(), size=0):
    return {
        "path": path,
        "kind": "file",
        "mode": 0o644,
        "mtime_ns": 1,
        "size": size,
        "chunks": list(chunks),
    }


def _link(path, target):
    return {
        "path": path,
        "kind": "symlink",
        "mode": 0o777,
        "mtime_ns": 1,
        "target": target,
    }


def test_scan_lists_folders_before_their_contents_in_name_order(sample_tree):
    paths = [entry.path for entry in scan_tree(sample_tree)]
    assert paths.index("docs") < paths.index("docs/empty.txt")
    assert paths.index("docs/empty.txt") < paths.index("docs/readme.txt")
    assert paths.index("nested/a/b") < paths.index("nested/a/b/deep.bin")
    assert paths == [p for p in paths if p]  # no empty paths


def test_scan_keeps_links_as_links_without_following_them(sample_tree):
    entries = {entry.path: entry for entry in scan_tree(sample_tree)}
    assert entries["linked-folder"].kind == "symlink"
    assert entries["linked-folder"].target == "nested"
    assert not any(p.startswith("linked-folder/") for p in entries)
    assert entries["dangling"].target == "/nonexistent/target"


def test_scan_records_modes_times_sizes_and_empty_entries(sample_tree):
    entries = {entry.path: entry for entry in scan_tree(sample_tree)}
    assert entries["script.sh"].mode == 0o755
    assert entries["private"].mode == 0o600
    assert entries["sealed"].mode == 0o555
    assert entries["docs/empty.txt"].size == 0
    assert entries["empty-folder"].kind == "dir"
    info = os.lstat(sample_tree / "docs" / "readme.txt")
    assert entries["docs/readme.txt"].mtime_ns == info.st_mtime_ns
    assert entries["docs/readme.txt"].size == info.st_size


def test_scan_uses_forward_slashes_and_relative_paths(sample_tree):
    for entry in scan_tree(sample_tree):
        check_relative_path(entry.path)
        assert "\\" not in entry.path


def test_scan_skips_pipes_and_reports_them(sample_tree):
    os.mkfifo(sample_tree / "pipe")
    skipped = []
    paths = [entry.path for entry in scan_tree(sample_tree, skipped)]
    assert "pipe" not in paths
    assert skipped == ["pipe"]


def test_scan_refuses_a_missing_folder(tmp_path):
    with pytest.raises(SourceUnreadable):
        list(scan_tree(tmp_path / "absent"))


def test_manifest_round_trips_unicode_and_non_utf8_names(sample_tree):
    entries = list(scan_tree(sample_tree))
    readme = next(e for e in entries if e.path == "docs/readme.txt")
    readme.chunks = [CHUNK]
    manifest = Manifest(source=str(sample_tree), entries=entries)
    data = manifest.to_json()
    assert isinstance(data, bytes)
    again = Manifest.from_json(data)
    assert again == manifest
    assert os.fsdecode(b"latin1-\xe9.txt") in {e.path for e in again.entries}


def test_manifest_refuses_bytes_that_are_not_json():
    with pytest.raises(TamperedManifest):
        Manifest.from_json(b"\x00garbage")


@pytest.mark.parametrize(
    "path",
    ["../escape", "a/../../b", "/etc/passwd", "a//b", "./a", "a/.", "", "a/\x00"],
)
def test_manifest_refuses_paths_that_could_escape(path):
    with pytest.raises(UnsafePath):
        Manifest.from_json(_document(_dir("a"), _file(path)))


def test_manifest_refuses_a_file_placed_under_a_link():
    document = _document(_link("a", "/etc"), _file("a/passwd"))
    with pytest.raises(UnsafePath):
        Manifest.from_json(document)


def test_manifest_refuses_an_entry_whose_folder_is_not_listed_first():
    with pytest.raises(UnsafePath):
        Manifest.from_json(_document(_file("a/b.txt"), _dir("a")))


def test_manifest_refuses_a_path_listed_twice():
    with pytest.raises(TamperedManifest):
        Manifest.from_json(_document(_dir("a"), _file("a")))


@pytest.mark.parametrize(
    "entry",
    [
        {**_file("f"), "chunks": ["../../etc/passwd"]},
        {**_file("f"), "size": -1},
        {**_file("f"), "kind": "device"},
        {**_file("f"), "mode": 0o170000},
        {**_file("f"), "mtime_ns": "yesterday"},
        {**_link("l", "")},
        "not an object",
    ],
)
def test_manifest_refuses_malformed_entries(entry):
    with pytest.raises(TamperedManifest):
        Manifest.from_json(_document(entry))


def test_entries_keep_only_the_fields_of_their_kind():
    link = Entry(path="l", kind="symlink", mode=0o777, mtime_ns=5, target="x")
    assert "chunks" not in link.to_dict()
    folder = Entry(path="d", kind="dir", mode=0o755, mtime_ns=5)
    assert set(folder.to_dict()) == {"path", "kind", "mode", "mtime_ns"}


@given(st.lists(st.sampled_from(["a", "..", ".", "", "b", "/"]), max_size=6))
def test_accepted_paths_never_leave_the_target(parts):
    path = "/".join(parts)
    try:
        check_relative_path(path)
    except UnsafePath:
        return
    resolved = os.path.normpath(os.path.join("/target", path))
    assert resolved.startswith("/target/")
