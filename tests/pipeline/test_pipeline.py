"""Kafka -> Druid with real JVMs: what Divolte writes is what Druid counts, through bad input (faults: test_faults)."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any, Callable

import pytest
from confluent_kafka import TIMESTAMP_CREATE_TIME, Consumer

from conftest import run_cli
from superset_divolte.druid.client import DruidClient, supervisor_spec
from superset_divolte.event_schema import event_fields
from superset_divolte.kafka_sink import (decode_event, encode_event, ensure_topic, load_schema, produce_raw,
                                         produce_records)
from superset_divolte.local_stack import LocalStack
from superset_divolte.local_stack_config import StackPorts
from superset_divolte.local_stack_process import StackError, poll_until

pytestmark = pytest.mark.pipeline
MakeEvents = Callable[[int, int], list[dict[str, Any]]]
INGEST_TIMEOUT = 240.0


def _consume(bootstrap: str, topic: str, count: int, timeout: float = 60.0) -> list[Any]:
    """Read count records from the start of topic (deadline-bounded)."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"test-{uuid.uuid4()}",
                         "auto.offset.reset": "earliest", "enable.auto.commit": False})
    consumer.subscribe([topic])
    messages: list[Any] = []
    try:
        def more() -> bool:
            for message in consumer.consume(num_messages=count - len(messages), timeout=1.0):
                assert message.error() is None, message.error()
                messages.append(message)
            return len(messages) >= count
        poll_until(f"{count} records on {topic}", more, timeout, interval=0.0)
    finally:
        consumer.close()
    return messages


def test_the_stack_reports_every_service_healthy_and_up_is_idempotent(stack: LocalStack) -> None:
    before = stack.status()["services"]
    assert all(s["running"] and s["healthy"] and s["rss_bytes"] > 0 for s in before.values()), before
    stack.up(progress=lambda _: None)
    assert {n: s["pid"] for n, s in stack.status()["services"].items()} == {n: s["pid"] for n, s in before.items()}


def test_a_taken_port_fails_naming_the_service_and_port(stack: LocalStack, tmp_path: Path) -> None:
    taken = dataclasses.replace(StackPorts.free(), zookeeper=stack.ports.zookeeper)
    second = LocalStack(tmp_path / "second", ports=taken, cache=stack.cache)
    with pytest.raises(StackError, match=f"zookeeper: port {stack.ports.zookeeper} .* taken"):
        second.up(progress=lambda _: None)
    assert not any(s["running"] for s in second.status()["services"].values())


def test_records_decode_back_with_party_keys_and_event_timestamps(stack: LocalStack, make_events: MakeEvents) -> None:
    topic = f"roundtrip_{uuid.uuid4().hex[:8]}"
    ensure_topic(stack.kafka_bootstrap, topic)
    events = make_events(500, 11)
    assert produce_records(stack.kafka_bootstrap, topic, events) == len(events)
    schema = load_schema()
    messages = _consume(stack.kafka_bootstrap, topic, len(events))
    assert [decode_event(m.value(), schema) for m in messages] == events
    assert [m.key() for m in messages] == [e["partyId"].encode() for e in events]
    assert [m.timestamp() for m in messages] == [(TIMESTAMP_CREATE_TIME, e["timestamp"]) for e in events]
    assert messages[0].value() == encode_event(events[0], schema)  # plain Avro: no header, no prefix


def test_druid_counts_what_was_sent_per_field(stream: str, stack: LocalStack, druid: DruidClient,
                                              make_events: MakeEvents) -> None:
    events = make_events(4000, 21)
    produce_records(stack.kafka_bootstrap, stream, events)
    druid.wait_for_count(stream, len(events), INGEST_TIMEOUT)
    fields = [f for f in event_fields() if not f.is_time]
    selects = ", ".join(f'COUNT("{f.name}") AS "{f.name}"' for f in fields)
    row = druid.sql(f'SELECT COUNT(*) AS "rows", {selects}, MIN(__time) AS "first", MAX(__time) AS "last", '
                    f'SUM("viewportPixelWidth") AS "width", '
                    f'SUM(CASE WHEN "firstInSession" = \'true\' THEN 1 ELSE 0 END) AS "sessions", '
                    f'COUNT(DISTINCT "partyId") AS "parties" FROM "{stream}"',
                    context={"useApproximateCountDistinct": False})[0]
    assert row["rows"] == len(events)
    for f in fields:
        assert row[f.name] == sum(e[f.name] is not None for e in events), f.name
    assert row["width"] == sum(e["viewportPixelWidth"] or 0 for e in events)
    assert row["sessions"] == sum(e["firstInSession"] for e in events)
    assert row["parties"] == len({e["partyId"] for e in events})
    assert _millis(row["first"]) == min(e["timestamp"] for e in events)
    assert _millis(row["last"]) == max(e["timestamp"] for e in events)


def test_submitting_the_same_spec_again_changes_nothing(stream: str, stack: LocalStack, druid: DruidClient) -> None:
    spec = supervisor_spec(stack.kafka_bootstrap, topic=stream, datasource=stream)
    assert druid.submit_supervisor(spec) == "unchanged"
    spec["spec"]["tuningConfig"]["maxRowsPerSegment"] = 1_000_000
    assert druid.submit_supervisor(spec) == "updated"
    assert druid.submit_supervisor(spec) == "unchanged"


def test_bad_bytes_are_counted_unparseable_and_good_records_all_arrive(
        stream: str, stack: LocalStack, druid: DruidClient, make_events: MakeEvents) -> None:
    events = make_events(2000, 31)
    schema = load_schema()
    # A truncated record always runs out of bytes while decoding: unparseable by construction.
    bad = [encode_event(e, schema)[: len(encode_event(e, schema)) // 2] for e in events[:25]]
    produce_records(stack.kafka_bootstrap, stream, events[:1000])
    produce_raw(stack.kafka_bootstrap, stream, bad)
    produce_records(stack.kafka_bootstrap, stream, events[1000:])
    druid.wait_for_count(stream, len(events), INGEST_TIMEOUT)
    status = poll_until("the unparseable count", lambda: (s := druid.supervisor_status(stream)).unparseable
                        and s, 60.0)
    assert status.unparseable == len(bad)
    assert status.processed == len(events)
    # What a person runs to see it: the stack's status names the supervisor with its counts.
    shown = run_cli("stack", "local", "status", "--workdir", str(stack.workdir)).stderr
    assert (f"supervisor {stream}: RUNNING, processed {len(events):,}, unparseable {len(bad)}, "
            "with errors 0, thrown away 0") in shown, shown


def _millis(iso: str) -> int:
    """Epoch millis of Druid's ISO timestamp."""
    return round(datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp() * 1000)
