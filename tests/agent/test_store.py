import pytest

from agent.errors import ChunkMissing, PointNotFound
from agent.store import DirectoryStore, MemoryStore, Store

ID_A = "a" * 64
ID_B = "b" * 64


@pytest.fixture(params=["memory", "directory"])
def store(request, tmp_path):
    if request.param == "memory":
        return MemoryStore()
    return DirectoryStore(tmp_path / "vault")


def test_both_stores_implement_the_interface(store):
    assert isinstance(store, Store)


def test_missing_chunks_names_only_those_not_held(store):
    store.put_chunk(ID_A, b"ciphertext a")
    assert store.missing_chunks({ID_A, ID_B}) == {ID_B}
    assert store.missing_chunks([]) == set()


def test_a_stored_chunk_comes_back_unchanged(store):
    store.put_chunk(ID_A, b"\x00\x01ciphertext")
    assert store.get_chunk(ID_A) == b"\x00\x01ciphertext"


def test_putting_a_chunk_twice_keeps_the_first(store):
    store.put_chunk(ID_A, b"first")
    store.put_chunk(ID_A, b"second")
    assert store.get_chunk(ID_A) == b"first"


def test_getting_an_absent_chunk_raises_chunk_missing(store):
    with pytest.raises(ChunkMissing):
        store.get_chunk(ID_B)


def test_a_point_returns_its_manifest(store):
    point_id = store.put_point("/srv/data", b"sealed manifest", {"files": 2})
    assert store.get_point(point_id) == b"sealed manifest"


def test_each_point_gets_its_own_id(store):
    first = store.put_point("/srv/data", b"one", {})
    second = store.put_point("/srv/data", b"two", {})
    assert first != second
    assert store.get_point(first) == b"one"


def test_an_unknown_point_raises_point_not_found(store):
    with pytest.raises(PointNotFound):
        store.get_point("0" * 32)


def test_chunk_ids_that_are_not_hex_are_refused(store):
    with pytest.raises(ValueError):
        store.put_chunk("../../outside", b"x")


def test_directory_store_refuses_point_ids_that_are_paths(tmp_path):
    store = DirectoryStore(tmp_path / "vault")
    with pytest.raises(PointNotFound):
        store.get_point("../../etc/passwd")


def test_directory_store_keeps_item_path_and_stats(tmp_path):
    store = DirectoryStore(tmp_path / "vault")
    point_id = store.put_point("/srv/data", b"m", {"files": 3, "bytes": 10})
    record = DirectoryStore(tmp_path / "vault").point_record(point_id)
    assert record == {"item_path": "/srv/data", "stats": {"files": 3, "bytes": 10}}


def test_directory_store_leaves_no_temporary_files(tmp_path):
    store = DirectoryStore(tmp_path / "vault")
    store.put_chunk(ID_A, b"x")
    store.put_point("/srv", b"m", {})
    names = [p.name for p in (tmp_path / "vault").rglob("*")]
    assert not [name for name in names if name.startswith(".incoming-")]


def test_directory_store_treats_a_half_written_point_as_absent(tmp_path):
    store = DirectoryStore(tmp_path / "vault")
    point_id = store.put_point("/srv", b"m", {})
    (tmp_path / "vault" / "points" / f"{point_id}.json").unlink()
    with pytest.raises(PointNotFound):
        store.get_point(point_id)
