import io

import pytest
from hypothesis import given
from hypothesis import strategies as st

from agent.chunking import CHUNK_SIZE, iter_chunks


class TrickleStream(io.RawIOBase):
    """Return at most a few bytes per read, as a pipe might."""

    def __init__(self, data, step):
        self._data = memoryview(data)
        self._pos = 0
        self._step = step

    def readable(self):
        return True

    def read(self, size=-1):
        end = self._pos + min(size, self._step)
        piece = bytes(self._data[self._pos : end])
        self._pos += len(piece)
        return piece


def test_empty_stream_yields_no_chunks():
    assert list(iter_chunks(io.BytesIO(b""))) == []


def test_chunks_are_one_mebibyte_by_default():
    data = b"a" * (CHUNK_SIZE * 2 + 5)
    sizes = [len(c) for c in iter_chunks(io.BytesIO(data))]
    assert sizes == [CHUNK_SIZE, CHUNK_SIZE, 5]


def test_exact_multiple_has_no_empty_tail():
    sizes = [len(c) for c in iter_chunks(io.BytesIO(b"x" * 30), chunk_size=10)]
    assert sizes == [10, 10, 10]


def test_short_reads_do_not_move_chunk_boundaries():
    data = bytes(range(256)) * 40
    trickled = list(iter_chunks(TrickleStream(data, step=7), chunk_size=1000))
    whole = list(iter_chunks(io.BytesIO(data), chunk_size=1000))
    assert trickled == whole


def test_chunk_size_must_be_positive():
    with pytest.raises(ValueError):
        list(iter_chunks(io.BytesIO(b"x"), chunk_size=0))


@given(st.binary(max_size=5000), st.integers(min_value=1, max_value=700))
def test_chunks_concatenate_back_to_the_stream(data, size):
    chunks = list(iter_chunks(io.BytesIO(data), chunk_size=size))
    assert b"".join(chunks) == data
    assert all(len(c) == size for c in chunks[:-1])
    assert all(0 < len(c) <= size for c in chunks)
