"""Ctrl-C during ``events generate --sink kafka://…``: the topic keeps whole, confirmed batches, and the ground
truth file describes exactly them.

What the code guarantees (``superset_divolte.event_sinks``): a first Ctrl-C lets the batch in progress finish,
waits for the broker to confirm every record produced, writes the truth of those batches and exits 130. So
the topic holds a prefix of the generated stream that ends on a batch boundary, and the truth file equals a
recount of the records read back from the topic. Both ways of making the batches are run: in this process
(small runs) and in worker processes (from 500,000 events).
"""

from __future__ import annotations

import json
import re
import signal
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any, Callable

import pytest
from confluent_kafka import Consumer, TopicPartition

from conftest import start_interruptible_cli
from superset_divolte import ground_truth
from superset_divolte.event_sinks import KafkaSink
from superset_divolte.events import PARALLEL_FROM_EVENTS, GeneratorSettings, as_records, stream_rows
from superset_divolte.kafka_sink import decode_event, ensure_topic, load_schema
from superset_divolte.local_stack import LocalStack
from superset_divolte.local_stack_process import poll_until

pytestmark = pytest.mark.pipeline
END = "2026-11-20T00:00:00+00:00"
DAYS = 14
SEED = 31
RUN_TIMEOUT = 120.0
PROGRESS = re.compile(r"generating events into .*: ([\d,]+)/")
INTERRUPTED = re.compile(r"interrupted: ([\d,]+) events in whole batches kept, with their ground truth")


def _interrupted_run(bootstrap: str, topic: str, events: int, truth_file: Path) -> tuple[int, str]:
    """Start the CLI, SIGINT it once its progress shows more written than one confirmed group of batches
    (so some are confirmed and the stop comes in the middle of a group); (exit code, what it printed)."""
    process = start_interruptible_cli(
        "events", "generate", "--events", str(events), "--days", str(DAYS), "--end", END, "--seed", str(SEED),
        "--sink", f"kafka://{bootstrap}/{topic}", "--ground-truth", str(truth_file))
    assert process.stderr is not None
    lines: list[str] = []
    try:
        def past_a_confirmed_group() -> bool:
            line = process.stderr.readline()
            lines.append(line)
            assert line or process.poll() is None, f"the run ended before it was interrupted:\n{''.join(lines)}"
            written = PROGRESS.search(line)
            return bool(written) and int(written.group(1).replace(",", "")) > KafkaSink.group_rows
        poll_until("progress past the first confirmed group", past_a_confirmed_group, RUN_TIMEOUT, interval=0.0)
        process.send_signal(signal.SIGINT)
        rest = process.communicate(timeout=RUN_TIMEOUT)[1]
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=30)
    return process.returncode, "".join(lines) + rest


def _topic_records(bootstrap: str, topic: str) -> list[dict[str, Any]]:
    """Every record the topic's one partition holds, from its first offset to its end, decoded."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"test-{uuid.uuid4()}",
                         "enable.auto.commit": False})
    partition = TopicPartition(topic, 0, 0)
    low, high = consumer.get_watermark_offsets(partition, timeout=30)
    assert low == 0
    consumer.assign([partition])
    schema = load_schema()
    records: list[dict[str, Any]] = []
    try:
        def read_to_the_end() -> bool:
            for message in consumer.consume(num_messages=min(high - len(records), 10_000), timeout=1.0):
                assert message.error() is None, message.error()
                records.append(decode_event(message.value(), schema))
            return len(records) >= high
        if high:
            poll_until(f"{high:,} records of {topic}", read_to_the_end, RUN_TIMEOUT, interval=0.0)
    finally:
        consumer.close()
    return records


def _generated_prefix(settings: GeneratorSettings, count: int) -> tuple[list[dict[str, Any]], bool]:
    """The first ``count`` generated events in the sink's order, and whether ``count`` ends a batch."""
    rows: list[tuple[Any, ...]] = []
    for batch in stream_rows(settings):
        if len(rows) >= count:
            break
        rows.extend(batch)
    return as_records(rows[:count]), len(rows) == count


@pytest.mark.parametrize("events", [PARALLEL_FROM_EVENTS - 1, 2 * PARALLEL_FROM_EVENTS],
                         ids=["in-process", "worker-processes"])
def test_ctrl_c_into_kafka_keeps_whole_confirmed_batches_and_their_exact_truth(
        stack: LocalStack, tmp_path: Path, say: Callable[[str], None], events: int) -> None:
    topic = f"interrupted_{uuid.uuid4().hex[:8]}"
    ensure_topic(stack.kafka_bootstrap, topic)
    truth_file = tmp_path / "truth.json"
    code, output = _interrupted_run(stack.kafka_bootstrap, topic, events, truth_file)
    reported = INTERRUPTED.search(output)
    assert code == 130 and reported and "Traceback" not in output, output
    kept = int(reported.group(1).replace(",", ""))
    assert 0 < kept < events, output

    stored = _topic_records(stack.kafka_bootstrap, topic)
    truth = json.loads(truth_file.read_text())
    assert len(stored) == kept == truth["rows"]
    assert json.loads(json.dumps(ground_truth.compute(stored))) == truth, "the truth is not that of the topic"
    settings = GeneratorSettings(seed=SEED, events=events, days=DAYS, end=datetime.fromisoformat(END))
    prefix, whole_batches = _generated_prefix(settings, kept)
    assert whole_batches, f"{kept:,} events do not end on a batch boundary"
    say(f"Ctrl-C into Kafka: {kept:,} of {events:,} events kept, whole batches, their truth exact")
    assert stored == prefix, "the topic does not hold the first batches of the stream, in order"
    assert "stopping after the batch in progress" in output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["truth.json"], "no partial truth files left"
