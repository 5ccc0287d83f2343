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
