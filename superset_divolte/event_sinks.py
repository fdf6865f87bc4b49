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

import functools
import json
import multiprocessing
import os
import signal
import sys
import tempfile
from collections import deque
from contextlib import contextmanager
from multiprocessing.connection import Connection
from pathlib import Path
from types import FrameType
from typing import Any, Callable, Iterator, Protocol, Sequence
from urllib.parse import urlparse

import duckdb
import pyarrow as pa

from superset_divolte import event_store, ground_truth
from superset_divolte.events import ROW_FIELDS, GeneratorSettings, shard_streams, stream_rows
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
    group_rows: int
    """Rows the sink gathers before it confirms them; a worker may run that far ahead of the commits."""

    @property
    def encode(self) -> Callable[[Sequence[tuple[Any, ...]]], Any]: ...

    def write(self, payload: Any) -> bool:
        """Take one encoded batch; True if it and every batch before it are now confirmed."""

    def confirm(self) -> None:
        """Confirm every batch taken so far."""

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
    group_rows = 0
    CHUNK_ROWS = 100_000
    MEMORY_LIMIT = "400MB"
    """DuckDB's buffer pool would otherwise keep the whole new table in memory (80 % of RAM by default)."""

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
        self.connection.execute(f"SET memory_limit = '{self.MEMORY_LIMIT}'")
        # One thread inserts a chunk at half the CPU of two; the cores are the workers' (the rows are made there).
        self.connection.execute("SET threads = 1")
        event_store.create_table(self.connection, table)
        self._chunk: list[pa.Table] = []
        self._chunk_rows = 0

    @staticmethod
    def _existing_rows(path: Path, table: str) -> int:
        try:
            return event_store.count_events(path, table)
        except duckdb.Error as error:
            raise SinkError(f"--sink duckdb:///{path}: the file exists but is not a DuckDB database this command "
                            f"can read ({error}); choose another path") from None

    @staticmethod
    def encode(rows: Sequence[tuple[Any, ...]]) -> bytes:
        """A batch as an Arrow IPC stream: it crosses from a worker process several times cheaper than a pickle."""
        columns = event_store.arrow_batch(rows, ROW_FIELDS)
        out = pa.BufferOutputStream()
        with pa.ipc.new_stream(out, columns.schema) as writer:
            writer.write_table(columns)
        return out.getvalue().to_pybytes()

    def write(self, payload: bytes) -> bool:
        """Take one batch (an Arrow IPC stream from ``encode``); full chunks go into the table.

        Always True: until ``commit`` nothing is visible, so nothing needs confirming batch by batch.
        """
        columns = pa.ipc.open_stream(payload).read_all()
        self._chunk.append(columns)
        self._chunk_rows += columns.num_rows
        if self._chunk_rows >= self.CHUNK_ROWS:
            self._insert_chunk()
        return True

    def confirm(self) -> None:
        """Nothing to wait for (see ``write``)."""

    def _insert_chunk(self) -> None:
        event_store.insert_batch(self.connection, pa.concat_tables(self._chunk), self.table)
        self._chunk, self._chunk_rows = [], 0

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
    """Batches into a topic, confirmed by the broker a group of at least ``group_rows`` at a time.

    Waiting for the broker after every hourly batch made the sink wait on round
    trips, not on work; a group of batches keeps librdkafka's queue full.
    """

    keeps_batches = True
    group_rows = 50_000

    def __init__(self, bootstrap: str, topic: str) -> None:
        from superset_divolte import kafka_sink

        if not kafka_sink.broker_answers(bootstrap, BROKER_WAIT_S):
            raise SinkError(f"--sink kafka://{bootstrap}/{topic}: no Kafka broker answered at {bootstrap} within "
                            f"{BROKER_WAIT_S:.0f} s; start one (superset-divolte stack local up) or fix the address")
        kafka_sink.ensure_topic(bootstrap, topic)
        self.producer = kafka_sink.BatchProducer(bootstrap, topic)
        self.encode = functools.partial(kafka_sink.encode_rows, fields=ROW_FIELDS)
        self._unconfirmed = 0

    def write(self, payload: list[tuple[bytes, bytes, int]]) -> bool:
        """Produce one batch of encoded records; once a group is full, wait for the broker to confirm it."""
        self.producer.produce(payload)
        self._unconfirmed += len(payload)
        if self._unconfirmed < self.group_rows:
            return False
        self.confirm()
        return True

    def confirm(self) -> None:
        """Wait for the broker to confirm every record produced so far."""
        self.producer.confirm()
        self._unconfirmed = 0

    def commit(self, truth: dict[str, Any], truth_path: Path | None) -> None:
        """Write the truth of the confirmed batches."""
        if truth_path:
            os.replace(write_json_beside(truth_path, truth), truth_path)

    def abort(self) -> None:
        """Nothing to undo: confirmed records stay in the topic."""


def left_after_abort(sink: str) -> str:
    """What a second Ctrl-C (stop at once, mid-batch) leaves in the sink and its ground truth.

    A DuckDB target is only replaced once complete; a Kafka topic keeps what the broker already took.
    """
    if urlparse(sink).scheme == "kafka":
        return (f"stopped at once; {sink} keeps the events the broker had taken, possibly part of the batch in "
                "progress, and the ground truth file is as it was (it does not describe the topic now)")
    return f"interrupted; {sink} and the ground truth are as they were"


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


Encode = Callable[[Sequence[tuple[Any, ...]]], Any]
"""Turns a batch of rows into what a sink writes (Arrow columns, Avro records); runs where the rows are made."""


class _Source(Protocol):
    """Encoded batches of the generator, each committed (counted in the truth) once the sink holds it."""

    def batches(self) -> Iterator[tuple[int, Any]]: ...

    def commit(self) -> None: ...

    def truth(self) -> dict[str, Any]: ...

    def close(self) -> None: ...


class _InProcess:
    """The shards' batches made in this process, in ``interleave`` order."""

    def __init__(self, settings: GeneratorSettings, encode: Encode, ahead_rows: int) -> None:
        self.encode = encode
        self.rows = stream_rows(settings)
        self._truth = ground_truth.StreamingGroundTruth(ROW_FIELDS)
        self._read: deque[Sequence[tuple[Any, ...]]] = deque()

    def batches(self) -> Iterator[tuple[int, Any]]:
        for rows in self.rows:
            self._read.append(rows)
            yield len(rows), self.encode(rows)

    def commit(self) -> None:
        self._truth.add(self._read.popleft())

    def truth(self) -> dict[str, Any]:
        return self._truth.result()

    def close(self) -> None:
        """Nothing runs outside this process."""


UNCOMMITTED_BATCHES = 2
"""Batches a worker may run ahead of the sink: enough to overlap making and writing, few enough to bound memory."""


def _shard_worker(settings: GeneratorSettings, shard: int, encode: Encode, ahead_rows: int,
                  connection: Connection) -> None:
    """One shard in its own process: sends encoded batches, counts each in its truth once the sink has it.

    It waits for commits only when more than ``UNCOMMITTED_BATCHES`` batches and
    more than ``ahead_rows`` rows are uncommitted: the sink commits once it holds
    ``ahead_rows`` rows, so a waiting worker is never what the sink waits for.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle, batch by batch
    truth = ground_truth.StreamingGroundTruth(ROW_FIELDS)
    uncommitted: deque[Sequence[tuple[Any, ...]]] = deque()
    finishing = False
    for rows in shard_streams(settings)[shard].batches():
        connection.send(("batch", len(rows), encode(rows)))
        uncommitted.append(rows)
        while not finishing and (_too_far_ahead(uncommitted, ahead_rows) or connection.poll()):
            finishing = _handle(connection.recv(), truth, uncommitted)
        if finishing:
            break
    connection.send(("end", 0, None))
    while not finishing:
        finishing = _handle(connection.recv(), truth, uncommitted)
    connection.send(("truth", 0, truth.partial()))


def _too_far_ahead(uncommitted: deque[Sequence[tuple[Any, ...]]], ahead_rows: int) -> bool:
    return len(uncommitted) > UNCOMMITTED_BATCHES and sum(map(len, uncommitted)) > ahead_rows


def _handle(message: str, truth: ground_truth.StreamingGroundTruth,
            uncommitted: deque[Sequence[tuple[Any, ...]]]) -> bool:
    """Apply a message from the parent; True once it asks for the truth."""
    if message == "commit":
        truth.add(uncommitted.popleft())
        return False
    return True


class _Workers:
    """The shards in worker processes; their batches read in ``interleave`` order, so the output is the same."""

    def __init__(self, settings: GeneratorSettings, encode: Encode, ahead_rows: int) -> None:
        context = multiprocessing.get_context("spawn")
        self.connections: list[Connection] = []
        self.processes = []
        for shard in range(len(shard_streams(settings))):
            parent, child = context.Pipe()
            process = context.Process(target=_shard_worker, args=(settings, shard, encode, ahead_rows, child), daemon=True,
                                      name=f"events-shard-{shard}")
            process.start()
            child.close()
            self.connections.append(parent)
            self.processes.append(process)
        self._read: deque[Connection] = deque()
        """Where the batches read and not yet committed came from, oldest first."""

    def batches(self) -> Iterator[tuple[int, Any]]:
        active = list(self.connections)
        while active:
            for connection in list(active):
                kind, count, payload = connection.recv()
                if kind == "end":
                    active.remove(connection)
                    continue
                self._read.append(connection)
                yield count, payload

    def commit(self) -> None:
        self._read.popleft().send("commit")

    def truth(self) -> dict[str, Any]:
        partials = []
        for connection in self.connections:
            connection.send("finish")
            while True:
                kind, _, payload = connection.recv()
                if kind == "truth":
                    partials.append(payload)
                    break
        for process in self.processes:
            process.join(timeout=30)
        return ground_truth.finish_partial(ground_truth.merge_partials(partials))

    def close(self) -> None:
        """Stop workers still running (after a failure); they hold nothing the sink needs."""
        for process in self.processes:
            if process.is_alive():
                process.terminate()
                process.join(timeout=10)


def _commit(source: _Source, batches: int) -> int:
    """Count the ``batches`` oldest uncommitted batches in the truth (the sink confirmed them); returns 0."""
    for _ in range(batches):
        source.commit()
    return 0


def generate_to(sink: str, settings: GeneratorSettings, ground_truth_path: Path | None = None,
                replace: bool = False) -> int:
    """Stream ``settings`` into ``sink`` with its ground truth; returns the events written.

    Large runs make their shards in worker processes (see ``events.shard_streams``);
    either way the sink gets the same batches in the same order. Raises
    ``Interrupted`` (after committing whole batches and their truth) on a Ctrl-C
    into a sink that keeps batches.
    """
    check_ground_truth_path(ground_truth_path)
    target = open_sink(sink, replace)
    parallel = len(shard_streams(settings)) > 1
    source: _Source = (_Workers if parallel else _InProcess)(settings, target.encode, target.group_rows)
    progress = ProgressPrinter(f"generating events into {sink}", sys.stderr, min_interval_s=2.0)
    written, pending = 0, 0
    try:
        with _finish_batch_on_interrupt(target.keeps_batches) as stop:
            for count, payload in source.batches():
                pending += 1
                if target.write(payload):
                    pending = _commit(source, pending)
                written += count
                progress(written, settings.events)
                if stop[0]:
                    break
            target.confirm()
            _commit(source, pending)
            # Still inside: a Ctrl-C while the workers hand over their truth only asks to stop.
            truth = source.truth()
    except BaseException:
        target.abort()
        raise
    finally:
        source.close()
    target.commit(truth, ground_truth_path)
    if written < settings.events:
        raise Interrupted(written)
    return written
