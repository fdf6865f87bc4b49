"""Progress lines for long work (event generation, writing, waiting for ingestion)."""

from __future__ import annotations

import sys
import time
from typing import TextIO


class ProgressPrinter:
    """A ``(done, total)`` callback that prints at most every half second, and at the end."""

    def __init__(self, label: str, out: TextIO = sys.stderr, min_interval_s: float = 0.5) -> None:
        self.label = label
        self.out = out
        self.min_interval_s = min_interval_s
        self._last = 0.0
        self._last_done = -1

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if done == self._last_done or (done < total and now - self._last < self.min_interval_s):
            return
        self._last, self._last_done = now, done
        percent = 100 * done / total if total else 100
        print(f"{self.label}: {done:,}/{total:,} ({percent:.0f}%)", file=self.out, flush=True)
