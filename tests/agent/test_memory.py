import hashlib
import time
import tracemalloc

from agent.backup import back_up
from agent.chunking import iter_chunks
from agent.restore import restore
from agent.store import DirectoryStore

MIB = 1024 * 1024
FILE_SIZE = 64 * MIB
# A quarter of the file: room for a batch of chunks and their ciphertext,
# far below what reading the file whole would take.
PEAK_LIMIT = FILE_SIZE // 4


def _write_large_file(path):
    """Write FILE_SIZE bytes one mebibyte at a time, each block distinct."""
    digest = hashlib.sha256()
    with open(path, "wb") as out:
        for block in range(FILE_SIZE // MIB):
            data = block.to_bytes(8, "big") * (MIB // 8)
            out.write(data)
            digest.update(data)
    return digest.hexdigest()


def _sha256_of(path):
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for chunk in iter_chunks(stream):
            digest.update(chunk)
    return digest.hexdigest()


def _peak_of(action):
    tracemalloc.start()
    try:
        result = action()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return result, peak


def test_large_file_streams_through_backup_and_restore_in_flat_memory(
    tmp_path, data_key
):
    started = time.monotonic()
    source = tmp_path / "source"
    source.mkdir()
    expected = _write_large_file(source / "large.bin")
    store = DirectoryStore(tmp_path / "vault")

    (point_id, stats), backup_peak = _peak_of(lambda: back_up(source, store, data_key))
    restored = tmp_path / "restored"
    _, restore_peak = _peak_of(lambda: restore(point_id, store, data_key, restored))

    assert stats.bytes == FILE_SIZE
    assert stats.new_chunks == FILE_SIZE // MIB
    assert backup_peak < PEAK_LIMIT, backup_peak
    assert restore_peak < PEAK_LIMIT, restore_peak
    assert _sha256_of(restored / "large.bin") == expected
    assert time.monotonic() - started < 20
