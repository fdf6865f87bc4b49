"""Where generated events go: a DuckDB table or a Kafka topic, named by a sink URL.

``generate_to`` streams the generator's hourly batches into the sink and counts
the ground truth from the same batches, so the truth file always describes
exactly what the sink holds:

- DuckDB: the events go into a new file next to the target, which replaces the
  target (and the truth file its own) only once every batch is in. An existing
  table is refused unless ``replace`` is set; an interruption or a crash leaves
  the old file and the old truth.
- Kafka: each batch is confirmed by the broker before the next is produced. On
  Ctrl-C the batch in progress is finished, and the truth file is written for
  the batches confirmed so far; the topic keeps them.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import Any, Iterator, Protocol, Sequence
from urllib.parse import urlparse

import duckdb

from superset_divolte import event_store, ground_truth
from superset_divolte.events import ROW_FIELDS, GeneratorSettings, stream_rows
from superset_divolte.progress import ProgressPrinter

SINK_FORMS = "duckdb:///PATH[#TABLE] or kafka://HOST:PORT/TOPIC"
BROKER_WAIT_S = 10.0
"""How long a Kafka broker may take to answer before the command gives up."""


class SinkError(ValueError):
    """A sink URL this command cannot write to; the message says why and what to change."""


class Interrupted(Exception):
    """Ctrl-C ended the generation; ``written`` events (whole batches) are in the sink with their truth."""

    def __init__(self, written: int) -> None:
        super().__init__(f"interrupted: {written:,} events in whole batches kept, with their ground truth")
        self.written = written


class Sink(Protocol):
    """A destination for batches of generated rows."""

    keeps_batches: bool
    """True if batches written before an interruption stay (Kafka), False if the old state comes back."""

    def write(self, rows: Sequence[tuple[Any, ...]]) -> None: ...

    def commit(self, truth: dict[str, Any], truth_path: Path | None) -> None: ...

    def abort(self) -> None: ...


def write_json_beside(path: Path, document: dict[str, Any]) -> Path:
    """Write ``document`` to a new file beside ``path`` and return it; ``os.replace`` makes it ``path``."""
    handle, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".partial", dir=path.parent)
    os.fchmod(handle, 0o644)
    with os.fdopen(handle, "w") as out:
        json.dump(document, out, indent=2, sort_keys=True)
        out.flush()
        os.fsync(out.fileno())
    return Path(name)


def _check_writable_folder(folder: Path, what: str) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise SinkError(f"{what}: cannot create folder {folder} ({error.strerror}); choose a writable path") from None
    if not os.access(folder, os.W_OK | os.X_OK):
        raise SinkError(f"{what}: folder {folder} is not writable; choose a writable path")


class DuckDBSink:
    """Batches into a new DuckDB file that replaces the target file once complete.

    Hourly batches are small; DuckDB pays a fixed cost per INSERT, so rows are
    gathered into chunks of ``CHUNK_ROWS`` before they go in as Arrow columns.
    """

    keeps_batches = False
    CHUNK_ROWS = 250_000

    def __init__(self, path: Path, table: str, replace: bool) -> None:
        _check_writable_folder(path.parent, f"--sink duckdb:///{path}")
        existing = self._existing_rows(path, table)
        if existing and not replace:
            raise SinkError(f"--sink duckdb:///{path}: table {table!r} already holds {existing:,} events; "
                            "pass --replace to replace the file with the new events, or choose another path")
        self.path, self.table = path, table
        handle, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".partial", dir=path.parent)
        os.close(handle)
        self.partial = Path(name)
        self.partial.unlink()  # DuckDB creates its own file; the name was only reserved
        self.connection = duckdb.connect(str(self.partial))
        self.connection.execute("SET enable_progress_bar = false")  # the command prints its own progress
        event_store.create_table(self.connection, table)
        self._chunk: list[tuple[Any, ...]] = []

    @staticmethod
    def _existing_rows(path: Path, table: str) -> int:
        try:
            return event_store.count_events(path, table)
        except duckdb.Error as error:
            raise SinkError(f"--sink duckdb:///{path}: the file exists but is not a DuckDB database this command "
                            f"can read ({error}); choose another path") from None

    def write(self, rows: Sequence[tuple[Any, ...]]) -> None:
        """Take one batch; full chunks go into the table."""
        self._chunk.extend(rows)
        if len(self._chunk) >= self.CHUNK_ROWS:
            self._insert_chunk()

    def _insert_chunk(self) -> None:
        event_store.insert_batch(self.connection, event_store.arrow_batch(self._chunk, ROW_FIELDS), self.table)
        self._chunk = []

    def commit(self, truth: dict[str, Any], truth_path: Path | None) -> None:
        """Make the new file the target; its truth is on disk first, then both files are swapped in."""
        if self._chunk:
            self._insert_chunk()
        self.connection.close()
        written_truth = write_json_beside(truth_path, truth) if truth_path else None
        os.replace(self.partial, self.path)
        if written_truth and truth_path:
            os.replace(written_truth, truth_path)

    def abort(self) -> None:
        """Drop the new file; the target stays as it was."""
        self.connection.close()
        for leftover in (self.partial, Path(f"{self.partial}.wal")):
            leftover.unlink(missing_ok=True)


class KafkaSink:
    """Batches into a topic, each confirmed before the next."""

    keeps_batches = True

    def __init__(self, bootstrap: str, topic: str) -> None:
        from superset_divolte import kafka_sink

        if not kafka_sink.broker_answers(bootstrap, BROKER_WAIT_S):
            raise SinkError(f"--sink kafka://{bootstrap}/{topic}: no Kafka broker answered at {bootstrap} within "
                            f"{BROKER_WAIT_S:.0f} s; start one (superset-divolte stack local up) or fix the address")
        kafka_sink.ensure_topic(bootstrap, topic)
        self.producer = kafka_sink.BatchProducer(bootstrap, topic, ROW_FIELDS)

    def write(self, rows: Sequence[tuple[Any, ...]]) -> None:
        """Produce one batch and wait for the broker to confirm all of it."""
        self.producer.write(rows)

    def commit(self, truth: dict[str, Any], truth_path: Path | None) -> None:
        """Write the truth of the confirmed batches."""
        if truth_path:
            os.replace(write_json_beside(truth_path, truth), truth_path)

    def abort(self) -> None:
        """Nothing to undo: confirmed records stay in the topic."""


def open_sink(sink: str, replace: bool = False) -> Sink:
    """The sink named by ``sink``, checked (path writable, broker answering) before any event is made."""
    parsed = urlparse(sink)
    if parsed.scheme == "duckdb" and parsed.path:
        return DuckDBSink(Path(parsed.path), parsed.fragment or event_store.EVENTS_TABLE, replace)
    try:
        port = parsed.port
    except ValueError:
        port = None
    if parsed.scheme == "kafka" and parsed.hostname and port and parsed.path.strip("/"):
        return KafkaSink(f"{parsed.hostname}:{port}", parsed.path.strip("/"))
    raise SinkError(f"--sink {sink!r} is not a sink this command knows; use {SINK_FORMS}")


@contextmanager
def _finish_batch_on_interrupt(enabled: bool) -> Iterator[list[bool]]:
    """While active, a first Ctrl-C only sets the flag (the batch in progress finishes); a second one stops."""
    flag = [False]
    if not enabled:
        yield flag
        return

    def request_stop(signum: int, frame: FrameType | None) -> None:
        if flag[0]:
            raise KeyboardInterrupt
        flag[0] = True
        print("stopping after the batch in progress (Ctrl-C again to stop now)", file=sys.stderr, flush=True)

    previous = signal.signal(signal.SIGINT, request_stop)
    try:
        yield flag
    finally:
        signal.signal(signal.SIGINT, previous)


def check_ground_truth_path(path: Path | None) -> None:
    """Refuse a truth file in a folder that cannot be written, before any event is made."""
    if path is not None:
        _check_writable_folder(path.parent, f"--ground-truth {path}")


def generate_to(sink: str, settings: GeneratorSettings, ground_truth_path: Path | None = None,
                replace: bool = False) -> int:
    """Stream ``settings`` into ``sink`` with its ground truth; returns the events written.

    Raises ``Interrupted`` (after committing whole batches and their truth) on a
    Ctrl-C into a sink that keeps batches.
    """
    check_ground_truth_path(ground_truth_path)
    target = open_sink(sink, replace)
    truth = ground_truth.StreamingGroundTruth(ROW_FIELDS)
    progress = ProgressPrinter(f"generating events into {sink}", sys.stderr, min_interval_s=2.0)
    written = 0
    try:
        with _finish_batch_on_interrupt(target.keeps_batches) as stop:
            for batch in stream_rows(settings):
                target.write(batch)
                truth.add(batch)
                written += len(batch)
                progress(written, settings.events)
                if stop[0]:
                    break
    except BaseException:
        target.abort()
        raise
    target.commit(truth.result(), ground_truth_path)
    if written < settings.events:
        raise Interrupted(written)
    return written
