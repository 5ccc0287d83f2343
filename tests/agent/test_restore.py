import os

import pytest

from agent.backup import back_up
from agent.crypto import KeyRing
from agent.errors import (
    ChunkMissing,
    PointNotFound,
    TamperedChunk,
    TamperedManifest,
    TargetNotEmpty,
    TargetUnwritable,
    UnsafePath,
)
from agent.restore import restore
from agent.store import MemoryStore


@pytest.fixture
def backed_up(sample_tree, data_key):
    store = MemoryStore()
    point_id, _ = back_up(sample_tree, store, data_key)
    return store, point_id


def _leftovers(root):
    return [p for p in root.rglob("*") if p.name.startswith(".strongroom-")]


def _point_from(store, data_key, *entries):
    """Store a hand-made manifest, as a malicious holder of the key might."""
    import json

    document = {
        "format": "strongroom-manifest/1",
        "source": "/x",
        "entries": list(entries),
    }
    sealed = KeyRing(data_key).seal_manifest(json.dumps(document).encode())
    return store.put_point("/x", sealed, {})


def _file_entry(path, chunk_id, size):
    return {
        "path": path,
        "kind": "file",
        "mode": 0o644,
        "mtime_ns": 1,
        "size": size,
        "chunks": [chunk_id],
    }


def test_restore_recreates_the_tree_byte_for_byte_with_metadata(
    sample_tree, backed_up, data_key, tmp_path, tree_snapshot
):
    store, point_id = backed_up
    target = tmp_path / "restored"
    stats = restore(point_id, store, data_key, target)
    assert tree_snapshot(target) == tree_snapshot(sample_tree)
    assert (stats.files, stats.dirs, stats.symlinks) == (8, 7, 4)
    assert not _leftovers(target)


def test_restored_links_stay_links_and_are_not_followed(backed_up, data_key, tmp_path):
    store, point_id = backed_up
    target = tmp_path / "restored"
    restore(point_id, store, data_key, target)
    assert os.readlink(target / "absolute-link") == "/etc/hostname"
    assert os.readlink(target / "linked-folder") == "nested"
    assert os.path.islink(target / "dangling")
    assert not os.path.exists(target / "dangling")


def test_restore_to_a_second_place_matches_the_first(
    backed_up, data_key, tmp_path, tree_snapshot
):
    store, point_id = backed_up
    restore(point_id, store, data_key, tmp_path / "one")
    restore(point_id, store, data_key, tmp_path / "two")
    assert tree_snapshot(tmp_path / "one") == tree_snapshot(tmp_path / "two")


def test_restore_into_an_existing_empty_folder(backed_up, data_key, tmp_path):
    store, point_id = backed_up
    target = tmp_path / "empty"
    target.mkdir()
    restore(point_id, store, data_key, target)
    assert (target / "docs" / "readme.txt").read_bytes() == b"Strongroom keeps this.\n"


def test_restore_refuses_a_tampered_chunk(backed_up, data_key, tmp_path):
    store, point_id = backed_up
    chunk_id = KeyRing(data_key).chunk_id(b"Strongroom keeps this.\n")
    ciphertext = store.chunks[chunk_id]
    store.chunks[chunk_id] = (
        ciphertext[:20] + bytes([ciphertext[20] ^ 1]) + (ciphertext[21:])
    )
    target = tmp_path / "restored"
    with pytest.raises(TamperedChunk):
        restore(point_id, store, data_key, target)
    assert not (target / "docs" / "readme.txt").exists()
    assert not _leftovers(target)


def test_restore_refuses_a_chunk_swapped_for_another(sample_tree, data_key, tmp_path):
    store = MemoryStore()
    point_id, _ = back_up(sample_tree, store, data_key)
    first, second = list(store.chunks)[:2]
    store.chunks[first] = store.chunks[second]
    with pytest.raises(TamperedChunk):
        restore(point_id, store, data_key, tmp_path / "restored")


def test_restore_refuses_a_missing_chunk(backed_up, data_key, tmp_path):
    store, point_id = backed_up
    store.chunks.pop(next(iter(store.chunks)))
    with pytest.raises(ChunkMissing):
        restore(point_id, store, data_key, tmp_path / "restored")


def test_restore_refuses_another_vaults_key(backed_up, tmp_path):
    store, point_id = backed_up
    with pytest.raises(TamperedManifest):
        restore(point_id, store, os.urandom(32), tmp_path / "restored")
    assert not (tmp_path / "restored").exists()


def test_restore_refuses_an_unknown_point(data_key, tmp_path):
    with pytest.raises(PointNotFound):
        restore("f" * 32, MemoryStore(), data_key, tmp_path / "restored")


def test_restore_refuses_a_folder_that_is_not_empty(backed_up, data_key, tmp_path):
    store, point_id = backed_up
    target = tmp_path / "busy"
    target.mkdir()
    (target / "already-here").write_bytes(b"keep me")
    with pytest.raises(TargetNotEmpty):
        restore(point_id, store, data_key, target)
    assert (target / "already-here").read_bytes() == b"keep me"


def test_restore_refuses_a_target_that_is_a_link(backed_up, data_key, tmp_path):
    store, point_id = backed_up
    (tmp_path / "elsewhere").mkdir()
    os.symlink(tmp_path / "elsewhere", tmp_path / "target-link")
    with pytest.raises(TargetNotEmpty):
        restore(point_id, store, data_key, tmp_path / "target-link")


def test_restore_reports_a_target_that_cannot_be_created(backed_up, data_key, tmp_path):
    store, point_id = backed_up
    (tmp_path / "a-file").write_bytes(b"not a folder")
    with pytest.raises(TargetUnwritable) as raised:
        restore(point_id, store, data_key, tmp_path / "a-file" / "restored")
    assert "a-file" in raised.value.cause


@pytest.mark.parametrize("path", ["../escaped.txt", "/tmp/escaped.txt", "a/../.."])
def test_restore_refuses_to_write_outside_the_target(path, data_key, tmp_path):
    store = MemoryStore()
    chunk_id, ciphertext = KeyRing(data_key).seal_chunk(b"evil")
    store.put_chunk(chunk_id, ciphertext)
    point_id = _point_from(store, data_key, _file_entry(path, chunk_id, 4))
    target = tmp_path / "deep" / "restored"
    with pytest.raises(UnsafePath):
        restore(point_id, store, data_key, target)
    assert not (tmp_path / "deep" / "escaped.txt").exists()
    assert not list((tmp_path / "deep").rglob("escaped.txt"))


def test_restore_refuses_a_file_written_through_a_link(data_key, tmp_path):
    store = MemoryStore()
    outside = tmp_path / "outside"
    outside.mkdir()
    chunk_id, ciphertext = KeyRing(data_key).seal_chunk(b"evil")
    store.put_chunk(chunk_id, ciphertext)
    link = {
        "path": "a",
        "kind": "symlink",
        "mode": 0o777,
        "mtime_ns": 1,
        "target": str(outside),
    }
    point_id = _point_from(store, data_key, link, _file_entry("a/planted", chunk_id, 4))
    with pytest.raises(UnsafePath):
        restore(point_id, store, data_key, tmp_path / "restored")
    assert not (outside / "planted").exists()


def test_restore_refuses_a_file_whose_chunks_fall_short_of_its_size(data_key, tmp_path):
    store = MemoryStore()
    chunk_id, ciphertext = KeyRing(data_key).seal_chunk(b"four")
    store.put_chunk(chunk_id, ciphertext)
    point_id = _point_from(store, data_key, _file_entry("f", chunk_id, 400))
    target = tmp_path / "restored"
    with pytest.raises(TamperedChunk):
        restore(point_id, store, data_key, target)
    assert not (target / "f").exists()
    assert not _leftovers(target)


def test_restore_reports_progress(backed_up, data_key, tmp_path):
    class Recorder:
        files = 0
        size = 0

        def update(self, files=0, size=0):
            self.files += files
            self.size += size

    store, point_id = backed_up
    recorder = Recorder()
    stats = restore(point_id, store, data_key, tmp_path / "r", progress=recorder)
    assert (recorder.files, recorder.size) == (stats.files, stats.bytes)
