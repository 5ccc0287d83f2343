"""Show backup and restore progress on a terminal, and nothing elsewhere."""

import sys
import time

_UNITS = ("B", "KiB", "MiB", "GiB", "TiB")


def format_bytes(count):
    """Return a byte count in the largest binary unit that keeps it above 1."""
    value = float(count)
    for unit in _UNITS:
        if value < 1024 or unit == _UNITS[-1]:
            break
        value /= 1024
    return f"{count} B" if unit == "B" else f"{value:.1f} {unit}"


class Progress:
    """Count files and bytes on one terminal line, redrawn now and then."""

    def __init__(self, label, stream=None, interval=0.1):
        self.label = label
        self.files = 0
        self.bytes = 0
        self._stream = stream if stream is not None else sys.stdout
        self._interval = interval
        self._last_draw = None
        # Logs and pipes get no progress: a stream of carriage returns is
        # noise in a cron mail or a CI log.
        self._enabled = _is_terminal(self._stream)

    def update(self, files=0, size=0):
        """Add finished files and processed bytes, redrawing if it is time."""
        self.files += files
        self.bytes += size
        now = time.monotonic()
        if self._last_draw is None or now - self._last_draw >= self._interval:
            self._draw()
            self._last_draw = now

    def finish(self):
        """Draw the final counts and end the line."""
        if self._enabled:
            self._draw()
            self._stream.write("\n")
            self._stream.flush()

    def _draw(self):
        if not self._enabled:
            return
        noun = "file" if self.files == 1 else "files"
        line = f"{self.label}: {self.files} {noun}, {format_bytes(self.bytes)}"
        self._stream.write(f"\r{line}\x1b[K")
        self._stream.flush()


def _is_terminal(stream):
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty and isatty())
    except ValueError:
        return False
