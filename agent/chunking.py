"""Split a file into bounded chunks without reading it whole."""

CHUNK_SIZE = 1024 * 1024


def iter_chunks(stream, chunk_size=CHUNK_SIZE):
    """Yield successive chunks of a binary stream, each at most chunk_size."""
    if chunk_size < 1:
        raise ValueError("chunk_size must be positive.")
    while True:
        chunk = _read_full(stream, chunk_size)
        if not chunk:
            return
        yield chunk
        if len(chunk) < chunk_size:
            return


def _read_full(stream, size):
    # Pipes and raw files may return short reads; chunk boundaries must not
    # depend on them, or an unchanged file would chunk (and upload) anew.
    data = stream.read(size)
    if not data or len(data) == size:
        return data
    parts = [data]
    remaining = size - len(data)
    while remaining:
        more = stream.read(remaining)
        if not more:
            break
        parts.append(more)
        remaining -= len(more)
    return b"".join(parts)
