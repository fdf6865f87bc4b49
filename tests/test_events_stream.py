"""The streaming generator: its ground truth equals a recount of what was written, in bounded memory,
with traffic that keeps its weekly rhythm to the end of the range, and a CLI that refuses bad input."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import duckdb
import pytest
from conftest import DEMO_END, DEMO_EVENTS, run_cli, start_interruptible_cli

from superset_divolte import ground_truth
from superset_divolte.event_schema import TIME_COLUMN, TIME_FIELD, field_names
from superset_divolte.events import ROW_FIELDS, GeneratorSettings, epoch_ms, generate_events, stream_rows

END = "2026-11-20T00:00:00+00:00"


def _as_json(document: dict[str, Any]) -> dict[str, Any]:
    """A truth as the CLI writes it (keys become strings in JSON)."""
    return json.loads(json.dumps(document, sort_keys=True))


def _records_of(database: Path) -> list[dict[str, Any]]:
    """Every event of the DuckDB file as a record, read back in no particular order."""
    with duckdb.connect(str(database), read_only=True) as connection:
        cursor = connection.execute(
            "SELECT * EXCLUDE (__time), epoch_ms(__time) AS __ms FROM clickstream ORDER BY random()")
        names = [column[0] for column in cursor.description]
        rows = cursor.fetchall()
    renamed = [TIME_FIELD if name == "__ms" else name for name in names]
    assert TIME_COLUMN not in renamed
    return [dict(zip(renamed, row)) for row in rows]


def test_streamed_truth_equals_a_recount_of_the_records_and_of_the_written_file(tmp_path: Path) -> None:
    database, truth_file = tmp_path / "events.duckdb", tmp_path / "truth.json"
    run_cli("events", "generate", "--events", "30000", "--days", "7", "--end", END, "--seed", "5",
            "--sink", f"duckdb:///{database}", "--ground-truth", str(truth_file))
    written = json.loads(truth_file.read_text())
    stored = _records_of(database)
    assert len(stored) == written["rows"] == 30_000
    assert _as_json(ground_truth.compute(stored)) == written, "the truth file disagrees with the DuckDB file"
    records = generate_events(GeneratorSettings(seed=5, events=30_000, days=7, end=datetime.fromisoformat(END)))
    assert _as_json(ground_truth.compute(records)) == written, "the truth file disagrees with the records"
    assert sorted(stored, key=lambda r: (r["timestamp"], r["partyId"], r["eventType"], r["pageViewId"])) == \
        sorted(records, key=lambda r: (r["timestamp"], r["partyId"], r["eventType"], r["pageViewId"]))


def test_streamed_truth_part_way_equals_a_recount_of_the_batches_so_far() -> None:
    settings = GeneratorSettings(seed=9, events=20_000, days=3, end=datetime.fromisoformat(END))
    truth = ground_truth.StreamingGroundTruth(ROW_FIELDS)
    seen: list[tuple] = []
    for number, batch in enumerate(stream_rows(settings)):
        truth.add(batch)
        seen.extend(batch)
        if number == 40:
            break
    records = [dict(zip(ROW_FIELDS, row)) for row in seen]
    assert _as_json(truth.result()) == _as_json(ground_truth.compute(records))


def test_batches_are_time_ordered_and_rows_follow_the_schema() -> None:
    settings = GeneratorSettings(seed=3, events=20_000, days=2, end=datetime.fromisoformat(END))
    keys = [(row[ROW_FIELDS.index("timestamp")], row[ROW_FIELDS.index("partyId")])
            for batch in stream_rows(settings) for row in batch]
    assert keys == sorted(keys) and len(keys) == 20_000
    assert ROW_FIELDS == field_names()


@pytest.fixture(scope="module")
def fixture_records() -> list[dict[str, Any]]:
    """The content tests' fixture: its size, its seed, its end."""
    return generate_events(GeneratorSettings(seed=42, events=DEMO_EVENTS, days=14,
                                             end=datetime.fromisoformat(DEMO_END)))


def test_the_last_full_day_keeps_the_weekly_rhythm(fixture_records: list[dict[str, Any]]) -> None:
    end = datetime.fromisoformat(DEMO_END)
    by_day = Counter(ground_truth.utc_day(r["timestamp"]) for r in fixture_records)
    last_day, week_before = (end - timedelta(days=1)).date().isoformat(), (end - timedelta(days=8)).date().isoformat()
    ratio = by_day[last_day] / by_day[week_before]
    assert 0.75 <= ratio <= 1.25, f"last full day {by_day[last_day]} against {by_day[week_before]} a week earlier"
    assert max(by_day.values()) < 1.6 * sorted(by_day.values())[len(by_day) // 2], "one day piles up"


def test_sessions_run_up_to_the_end_of_the_range(fixture_records: list[dict[str, Any]]) -> None:
    end_ms = epoch_ms(datetime.fromisoformat(DEMO_END))
    starts = [r["timestamp"] for r in fixture_records if r["firstInSession"]]
    assert sum(1 for t in starts if t >= end_ms - 3_600_000) >= 5, "sessions start in the last hour"
    assert any(r["timestamp"] >= end_ms - 15 * 60_000 for r in fixture_records), "events in the last 15 minutes"
    assert max(r["timestamp"] for r in fixture_records) < end_ms


PEAK_MEMORY_PROBE = r"""
import re, sys
from datetime import datetime, timezone
from pathlib import Path
from superset_divolte.events import GeneratorSettings, stream_rows
settings = GeneratorSettings(seed=1, events=int(sys.argv[1]), days=14, end=datetime(2026, 11, 20, tzinfo=timezone.utc))
print(sum(len(batch) for batch in stream_rows(settings)))
# The probe's own peak resident memory in kB. Not getrusage's ru_maxrss: Linux carries that over an
# exec from the image before it, so it would report the test session that started the probe.
print(re.search(r"VmHWM:\s+(\d+) kB", Path("/proc/self/status").read_text()).group(1))
"""


def test_a_two_million_event_stream_stays_in_bounded_memory() -> None:
    # Holding 2M events as records takes about 5 GB (as tuples still over 1 GB): 600 MB is only met by streaming.
    result = subprocess.run([sys.executable, "-c", PEAK_MEMORY_PROBE, "2000000"], capture_output=True, text=True,
                            timeout=600, check=True)
    events, peak_kb = map(int, result.stdout.split())
    assert events == 2_000_000
    peak = peak_kb / 1024
    assert 20 < peak < 600, f"the stream's process peaked at {peak:.0f} MB"


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.parametrize("arguments, message", [
    (["--sink", "mysql://x/y"], "is not a sink this command knows"),
    (["--sink", "kafka://127.0.0.1/no-port"], "is not a sink this command knows"),
    (["--end", "next tuesday"], "is not an ISO 8601 time"),
    (["--sink", "duckdb:///proc/no/such/folder/events.duckdb"], "choose a writable path"),
    (["--ground-truth", "/proc/no/such/folder/truth.json"], "choose a writable path"),
])
def test_bad_input_is_refused_before_any_event_is_made(arguments: list[str], message: str, tmp_path: Path) -> None:
    result = run_cli("events", "generate", "--events", "5000000", *arguments, check=False)
    assert result.returncode == 2, result.stderr
    assert message in result.stderr and "Traceback" not in result.stderr
    assert "generating events" not in result.stderr


def test_a_kafka_broker_that_does_not_answer_is_reported_after_a_bounded_wait() -> None:
    port = _closed_port()
    result = run_cli("events", "generate", "--events", "1000", "--sink", f"kafka://127.0.0.1:{port}/events",
                     check=False)
    assert result.returncode == 2 and "no Kafka broker answered" in result.stderr
    assert "Traceback" not in result.stderr and "FAIL|rdkafka" not in result.stderr


def test_an_existing_duckdb_file_is_refused_or_replaced_never_doubled(tmp_path: Path) -> None:
    database, truth_file = tmp_path / "events.duckdb", tmp_path / "truth.json"
    common = ["events", "generate", "--days", "2", "--end", END, "--sink", f"duckdb:///{database}",
              "--ground-truth", str(truth_file)]
    run_cli(*common, "--events", "3000", "--seed", "1")
    first = truth_file.read_text()
    again = run_cli(*common, "--events", "2000", "--seed", "2", check=False)
    assert again.returncode == 2 and "--replace" in again.stderr
    assert truth_file.read_text() == first and len(_records_of(database)) == 3000
    run_cli(*common, "--events", "2000", "--seed", "2", "--replace")
    stored = _records_of(database)
    assert len(stored) == 2000
    assert _as_json(ground_truth.compute(stored)) == json.loads(truth_file.read_text())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["events.duckdb", "truth.json"], "no partial files left"


def test_worker_processes_write_what_one_process_makes_with_a_truth_that_adds_up(tmp_path: Path) -> None:
    from superset_divolte.event_sinks import generate_to

    settings = GeneratorSettings(seed=11, events=20_000, days=5, end=datetime.fromisoformat(END), shards=2)
    database, truth_file = tmp_path / "events.duckdb", tmp_path / "truth.json"
    assert generate_to(f"duckdb:///{database}", settings, truth_file) == 20_000
    stored = _records_of(database)
    assert _as_json(ground_truth.compute(stored)) == json.loads(truth_file.read_text())
    key = lambda r: (r["timestamp"], r["partyId"], r["eventType"], r["pageViewId"])  # noqa: E731
    assert sorted(stored, key=key) == sorted(generate_events(settings), key=key)


def test_kafka_values_are_the_avro_bytes_divolte_writes() -> None:
    from superset_divolte import kafka_sink

    rows = [row for batch in stream_rows(GeneratorSettings(seed=2, events=3000, days=1, end=datetime.fromisoformat(END)))
            for row in batch]
    schema = kafka_sink.load_schema()
    encoded = kafka_sink.encode_rows(rows, ROW_FIELDS)
    for (value, key, moment), row in zip(encoded, rows):
        record = dict(zip(ROW_FIELDS, row))
        assert value == kafka_sink.encode_event(record, schema)
        assert key == record["partyId"].encode() and moment == record["timestamp"]


def test_ctrl_c_into_duckdb_leaves_the_old_file_and_truth(tmp_path: Path) -> None:
    import signal
    import time

    database, truth_file = tmp_path / "events.duckdb", tmp_path / "truth.json"
    sink = ["--sink", f"duckdb:///{database}", "--ground-truth", str(truth_file), "--end", END]
    run_cli("events", "generate", "--events", "3000", "--days", "2", *sink)
    old_truth = truth_file.read_text()
    process = start_interruptible_cli("events", "generate", "--events", "400000", "--replace", *sink)
    assert process.stderr is not None
    deadline = time.monotonic() + 120
    line = ""
    while "generating events" not in line and time.monotonic() < deadline:
        line = process.stderr.readline()
    assert "generating events" in line, "the run never got going"
    process.send_signal(signal.SIGINT)
    rest = process.communicate(timeout=120)[1]
    assert process.returncode == 130 and "as they were" in rest and "Traceback" not in rest
    assert truth_file.read_text() == old_truth and len(_records_of(database)) == 3000
    assert sorted(p.name for p in tmp_path.iterdir()) == ["events.duckdb", "truth.json"], "no partial files left"


def test_stopping_at_once_says_what_each_sink_keeps() -> None:
    from superset_divolte.event_sinks import left_after_abort

    assert "are as they were" in left_after_abort("duckdb:///tmp/events.duckdb")
    kafka = left_after_abort("kafka://127.0.0.1:9092/divolte")
    assert "keeps the events the broker had taken" in kafka and "are as they were" not in kafka
