"""Progress lines for long work (event generation, writing, waiting for ingestion)."""

from __future__ import annotations

import sys
import time
from typing import TextIO


def _duration(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m{secs:02d}s" if hours else f"{minutes}m{secs:02d}s"


class ProgressPrinter:
    """A ``(done, total)`` callback that prints at most every ``min_interval_s``, and at the end.

    Each line carries the rate since the start and, while work remains, the time left at that rate.
    """

    def __init__(self, label: str, out: TextIO = sys.stderr, min_interval_s: float = 0.5) -> None:
        self.label = label
        self.out = out
        self.min_interval_s = min_interval_s
        self._started = time.monotonic()
        self._last = 0.0
        self._last_done = -1

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if done == self._last_done or (done < total and now - self._last < self.min_interval_s):
            return
        self._last, self._last_done = now, done
        percent = 100 * done / total if total else 100
        elapsed = max(now - self._started, 1e-9)
        rate = done / elapsed
        line = f"{self.label}: {done:,}/{total:,} ({percent:.0f}%), {rate:,.0f}/s"
        if done < total and rate > 0:
            line += f", ETA {_duration((total - done) / rate)}"
        else:
            line += f", {_duration(elapsed)}"
        print(line, file=self.out, flush=True)
