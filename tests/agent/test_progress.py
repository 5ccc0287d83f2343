import io

from agent.progress import Progress, format_bytes


class FakeTerminal(io.StringIO):
    def isatty(self):
        return True


def test_progress_is_silent_when_output_is_not_a_terminal():
    stream = io.StringIO()
    progress = Progress("Backing up", stream=stream)
    progress.update(files=3, size=4096)
    progress.finish()
    assert stream.getvalue() == ""
    assert (progress.files, progress.bytes) == (3, 4096)


def test_progress_shows_files_and_bytes_on_a_terminal():
    stream = FakeTerminal()
    progress = Progress("Backing up", stream=stream, interval=0)
    progress.update(files=1, size=512)
    progress.update(files=2, size=3 * 1024 * 1024)
    progress.finish()
    output = stream.getvalue()
    assert "Backing up: 1 file, 512 B" in output
    assert output.rstrip("\n").endswith("Backing up: 3 files, 3.0 MiB\x1b[K")
    assert output.endswith("\n")


def test_progress_redraws_no_faster_than_its_interval():
    stream = FakeTerminal()
    progress = Progress("Restoring", stream=stream, interval=3600)
    for _ in range(100):
        progress.update(size=1)
    assert stream.getvalue().count("\r") == 1


def test_byte_counts_use_binary_units():
    assert format_bytes(0) == "0 B"
    assert format_bytes(1023) == "1023 B"
    assert format_bytes(1536) == "1.5 KiB"
    assert format_bytes(2 * 1024**3) == "2.0 GiB"
    assert format_bytes(5 * 1024**5) == "5120.0 TiB"


def test_progress_follows_a_real_backup_and_restore(sample_tree, data_key, tmp_path):
    from agent.backup import back_up
    from agent.restore import restore
    from agent.store import MemoryStore

    store = MemoryStore()
    terminal = FakeTerminal()
    backing_up = Progress("Backing up", stream=terminal, interval=0)
    point_id, stats = back_up(sample_tree, store, data_key, progress=backing_up)
    backing_up.finish()
    restoring = Progress("Restoring", stream=FakeTerminal(), interval=0)
    restore(point_id, store, data_key, tmp_path / "restored", progress=restoring)
    restoring.finish()
    assert (backing_up.files, backing_up.bytes) == (stats.files, stats.bytes)
    assert (restoring.files, restoring.bytes) == (stats.files, stats.bytes)
    assert f"Backing up: {stats.files} files" in terminal.getvalue()
