import os

import pytest

from agent import backup as backup_module
from agent.backup import back_up
from agent.crypto import KeyRing
from agent.errors import SourceUnreadable
from agent.manifest import Manifest
from agent.store import MemoryStore

MIB = 1024 * 1024


class CountingStore(MemoryStore):
    """Record every upload and every question the backup asks."""

    def __init__(self):
        super().__init__()
        self.uploads = []
        self.questions = []

    def missing_chunks(self, chunk_ids):
        self.questions.append(set(chunk_ids))
        return super().missing_chunks(chunk_ids)

    def put_chunk(self, chunk_id, ciphertext):
        self.uploads.append(chunk_id)
        super().put_chunk(chunk_id, ciphertext)


def _manifest(store, point_id, data_key):
    return Manifest.from_json(
        KeyRing(data_key).open_manifest(store.get_point(point_id))
    )


def test_backup_counts_files_folders_links_and_bytes(sample_tree, data_key):
    point_id, stats = back_up(sample_tree, MemoryStore(), data_key)
    assert len(point_id) == 32
    assert stats.files == 8
    assert stats.dirs == 7
    assert stats.symlinks == 4
    total = sum(
        os.lstat(os.path.join(folder, name)).st_size
        for folder, _, names in os.walk(sample_tree)
        for name in names
        if not os.path.islink(os.path.join(folder, name))
    )
    assert stats.bytes == total


def test_unchanged_folder_uploads_nothing_again(sample_tree, data_key):
    store = CountingStore()
    _, first = back_up(sample_tree, store, data_key)
    uploads_after_first = len(store.uploads)
    _, second = back_up(sample_tree, store, data_key)
    assert first.new_chunks > 0
    assert second.new_chunks == 0
    assert second.new_bytes == 0
    assert len(store.uploads) == uploads_after_first
    assert second.chunks == first.chunks


def test_changing_one_mebibyte_uploads_only_its_chunk(tmp_path, data_key):
    source = tmp_path / "source"
    source.mkdir()
    data = bytearray(os.urandom(3 * MIB))
    (source / "big.bin").write_bytes(data)
    store = CountingStore()
    back_up(source, store, data_key)
    data[MIB + 10] ^= 0xFF
    (source / "big.bin").write_bytes(data)
    _, stats = back_up(source, store, data_key)
    assert stats.chunks == 3
    assert stats.new_chunks == 1


def test_identical_files_are_stored_once(tmp_path, data_key):
    source = tmp_path / "source"
    source.mkdir()
    for name in ("one", "two", "three"):
        (source / name).write_bytes(b"the same bytes" * 1000)
    store = CountingStore()
    _, stats = back_up(source, store, data_key)
    assert stats.chunks == 3
    assert stats.new_chunks == 1
    assert len(store.chunks) == 1


def test_store_sees_neither_plaintext_nor_names(tmp_path, data_key):
    source = tmp_path / "source"
    source.mkdir()
    (source / "payroll-names.csv").write_bytes(b"MARKER-PLAINTEXT " * 100)
    store = MemoryStore()
    point_id, _ = back_up(source, store, data_key)
    held = b"".join(store.chunks.values()) + store.get_point(point_id)
    assert b"MARKER-PLAINTEXT" not in held
    assert b"payroll-names" not in held


def test_manifest_lists_each_file_with_its_chunks_in_order(tmp_path, data_key):
    source = tmp_path / "source"
    source.mkdir()
    parts = [os.urandom(MIB), os.urandom(MIB), b"end"]
    (source / "f").write_bytes(b"".join(parts))
    store = MemoryStore()
    point_id, _ = back_up(source, store, data_key)
    (entry,) = _manifest(store, point_id, data_key).entries
    ring = KeyRing(data_key)
    assert entry.chunks == [ring.chunk_id(part) for part in parts]
    assert entry.size == 2 * MIB + 3


def test_point_records_the_folder_and_stats(sample_tree, data_key):
    store = MemoryStore()
    point_id, stats = back_up(sample_tree, store, data_key)
    record = store.points[point_id]
    assert record["item_path"] == str(sample_tree)
    assert record["stats"] == stats.to_dict()


def test_store_is_asked_in_bounded_batches(tmp_path, data_key):
    source = tmp_path / "source"
    source.mkdir()
    (source / "f").write_bytes(os.urandom(10 * MIB))
    store = CountingStore()
    back_up(source, store, data_key)
    assert max(len(q) for q in store.questions) <= backup_module.BATCH_CHUNKS
    assert sum(len(q) for q in store.questions) == 10


def test_backup_skips_pipes_and_counts_them(sample_tree, data_key):
    os.mkfifo(sample_tree / "pipe")
    _, stats = back_up(sample_tree, MemoryStore(), data_key)
    assert stats.skipped == 1


def test_backup_refuses_a_missing_folder(tmp_path, data_key):
    with pytest.raises(SourceUnreadable):
        back_up(tmp_path / "absent", MemoryStore(), data_key)


def test_backup_reports_progress(sample_tree, data_key):
    class Recorder:
        files = 0
        size = 0

        def update(self, files=0, size=0):
            self.files += files
            self.size += size

    recorder = Recorder()
    _, stats = back_up(sample_tree, MemoryStore(), data_key, progress=recorder)
    assert (recorder.files, recorder.size) == (stats.files, stats.bytes)
