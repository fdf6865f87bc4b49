"""Kafka -> Druid with real JVMs: what Divolte writes is what Druid counts, through bad input and restarts."""

from __future__ import annotations

import dataclasses
import threading
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest
from confluent_kafka import TIMESTAMP_CREATE_TIME, Consumer

from conftest import run_cli
from superset_divolte.druid_client import DruidClient, supervisor_spec
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


def _wait_caught_up(druid: DruidClient, datasource: str, timeout: float = INGEST_TIMEOUT) -> None:
    """Until the supervisor runs a task with no lag (so a count that holds still is final)."""
    def caught_up() -> bool:
        status = druid.supervisor_status(datasource)
        return status.state == "RUNNING" and bool(status.active_tasks) and status.lag == 0
    poll_until(f"supervisor {datasource} to catch up", caught_up, timeout, interval=1.0)


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


def test_killing_the_indexer_mid_ingestion_loses_and_duplicates_nothing(
        stream: str, stack: LocalStack, druid: DruidClient, make_events: MakeEvents,
        say: Callable[[str], None]) -> None:
    first, second = make_events(3000, 41), make_events(3000, 42)
    produce_records(stack.kafka_bootstrap, stream, first)
    druid.wait_for_count(stream, len(first), INGEST_TIMEOUT)
    # The task holds these rows in memory, unpublished: the crash takes them with it.
    stack.kill_service("indexer")
    produce_records(stack.kafka_bootstrap, stream, second)
    stack.start_service("indexer", progress=say)
    total = len(first) + len(second)
    druid.wait_for_count(stream, total, INGEST_TIMEOUT, progress=say)
    _wait_caught_up(druid, stream)
    assert druid.count(stream) == total


def test_restarting_kafka_while_producing_loses_and_duplicates_nothing(
        stream: str, stack: LocalStack, druid: DruidClient, make_events: MakeEvents,
        say: Callable[[str], None]) -> None:
    events = make_events(6000, 51)
    halfway, broker_down = threading.Event(), threading.Event()
    outcome: dict[str, Any] = {}

    def feed() -> Iterator[dict[str, Any]]:
        """The first half while the broker runs, the second half once it is down."""
        for index, event in enumerate(events):
            if index == len(events) // 2:
                halfway.set()
                assert broker_down.wait(120), "the broker was not stopped"
            yield event

    def produce() -> None:
        try:
            outcome["delivered"] = produce_records(stack.kafka_bootstrap, stream, feed())
        except Exception as error:  # reported by the assertion below
            outcome["error"] = error

    producer = threading.Thread(target=produce)
    producer.start()
    assert halfway.wait(60), "the producer did not get halfway"
    stack.stop_service("kafka", progress=say)
    broker_down.set()
    stack.start_service("kafka", progress=say)
    producer.join(timeout=400)
    assert not producer.is_alive() and "error" not in outcome, outcome
    assert outcome["delivered"] == len(events)
    druid.wait_for_count(stream, len(events), INGEST_TIMEOUT, progress=say)
    _wait_caught_up(druid, stream)
    assert druid.count(stream) == len(events)


def _millis(iso: str) -> int:
    """Epoch millis of Druid's ISO timestamp."""
    return round(datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp() * 1000)
