"""Processes of the local stack: start, recognise, stop; and polling with a deadline."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable, TypeVar

T = TypeVar("T")
Progress = Callable[[str], None]
MARKER_PROPERTY = "superset_divolte.stack"
"""Every service's java command line carries -D<this>=<working folder>."""


class StackError(RuntimeError):
    """A service of the local stack failed to start, answer or stop."""


@dataclass(frozen=True)
class ProcessRecord:
    """What run/<service>.json keeps about a started process."""

    name: str
    pid: int
    port: int
    log: str
    started: float
    marker: str

    def save(self, run_dir: Path) -> None:
        """Write the record next to the others."""
        (run_dir / f"{self.name}.json").write_text(json.dumps(asdict(self), indent=2))

    @classmethod
    def load(cls, run_dir: Path, name: str) -> "ProcessRecord | None":
        """The record of a service, if one was written."""
        path = run_dir / f"{name}.json"
        return cls(**json.loads(path.read_text())) if path.exists() else None


def spawn(command: list[str], log: Path, cwd: Path) -> subprocess.Popen[bytes]:
    """Start a service detached from our terminal, its stdout and stderr appended to log."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as out:
        out.write(f"\n===== started {time.strftime('%Y-%m-%d %H:%M:%S')}: {' '.join(command)}\n".encode())
        out.flush()
        # A new session: Ctrl-C in the shell that ran `up` must not take the stack down.
        return subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                cwd=cwd, start_new_session=True)


def is_ours(pid: int, marker: str) -> bool:
    """True if pid is alive (not a zombie) and has -Dsuperset_divolte.stack=<marker> among its arguments."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        arguments = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").split("\0")
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False
    return state not in ("Z", "X") and f"-D{MARKER_PROPERTY}={marker}" in arguments


def rss_bytes(pid: int) -> int:
    """Resident set size of a process (0 if it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except FileNotFoundError:
        pass
    return 0


def terminate(record: ProcessRecord, timeout: float = 45.0, progress: Progress | None = None,
              reap: Callable[[], None] | None = None) -> str:
    """SIGTERM the process, SIGKILL it if still alive after timeout; say which it took."""
    if not is_ours(record.pid, record.marker):
        return "not running"
    os.kill(record.pid, signal.SIGTERM)
    try:
        poll_until(f"{record.name} (pid {record.pid}) to exit", lambda: not is_ours(record.pid, record.marker),
                   timeout, progress=progress, reap=reap)
        return "stopped"
    except TimeoutError:
        kill(record, reap)
        return f"killed (did not stop within {timeout:.0f} s of SIGTERM)"


def kill(record: ProcessRecord, reap: Callable[[], None] | None = None) -> None:
    """SIGKILL the process and wait until it is gone."""
    if is_ours(record.pid, record.marker):
        os.kill(record.pid, signal.SIGKILL)
    poll_until(f"{record.name} (pid {record.pid}) to die", lambda: not is_ours(record.pid, record.marker),
               15.0, reap=reap)


def poll_until(what: str, check: Callable[[], T], timeout: float, interval: float = 0.5,
               progress: Progress | None = None, every: float = 10.0,
               reap: Callable[[], None] | None = None) -> T:
    """Call check until it returns something truthy; raise TimeoutError after timeout seconds.

    check may raise to give up early (a process exited, say). progress, if given,
    hears about the wait every `every` seconds; reap, if given, runs before each check
    (to collect exited children so they stop looking alive).
    """
    started = time.monotonic()
    deadline = started + timeout
    last_report = started
    while True:
        if reap:
            reap()
        result = check()
        if result:
            return result
        now = time.monotonic()
        if now >= deadline:
            raise TimeoutError(f"gave up waiting for {what} after {timeout:.0f} s")
        if progress and now - last_report >= every:
            progress(f"waiting for {what} ({now - started:.0f} s)")
            last_report = now
        time.sleep(min(interval, max(deadline - now, 0.01)))


def log_tail(log: Path, lines: int = 15) -> str:
    """The last lines of a log file, for error messages."""
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
    except FileNotFoundError:
        return "(no log written)"
