"""Faults with real JVMs: a crashed indexer, a restarted Kafka broker, a restarted Druid historical and broker.

Each test ends with every event sent held exactly once: Druid's ``COUNT(*)`` and ``COUNT(DISTINCT`` event
``)`` equal the number sent, and the multiset of event identities Druid holds equals the one sent (an event is
its session and its time: the generator never gives one session two events in the same millisecond). Before
that, the same comparison is run on the ground truth with one event dropped and with one doubled, so the check
is shown to catch a single lost or doubled event. Readiness after a restart is polled with a deadline; the
first query after it must already be exact, and the recovery times are printed.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from typing import Any, Callable, Iterator

import pytest

from superset_divolte.druid.client import DruidClient, supervisor_spec
from superset_divolte.kafka_sink import ensure_topic, produce_records
from superset_divolte.local_stack import LocalStack
from superset_divolte.local_stack_process import poll_until

pytestmark = pytest.mark.pipeline
MakeEvents = Callable[[int, int], list[dict[str, Any]]]
Say = Callable[[str], None]
EventKey = tuple[str, int]
INGEST_TIMEOUT = 240.0
READY_TIMEOUT = 180.0
EXACT = {"useApproximateCountDistinct": False}


def _key(event: dict[str, Any]) -> EventKey:
    """An event's identity: its session and its time."""
    return event["sessionId"], event["timestamp"]


def _held(druid: DruidClient, datasource: str) -> Counter[EventKey]:
    """How many times Druid holds each event identity."""
    rows = druid.sql(f'SELECT "sessionId" AS "session", TIMESTAMP_TO_MILLIS("__time") AS "at", COUNT(*) AS "n" '
                     f'FROM "{datasource}" GROUP BY 1, 2')
    return Counter({(row["session"], row["at"]): row["n"] for row in rows})


def _tally(sent: list[dict[str, Any]], held: Counter[EventKey]) -> dict[str, int]:
    """Events sent but not held (lost) and held beyond what was sent (doubled or foreign)."""
    wanted = Counter(_key(event) for event in sent)
    return {"lost": sum((wanted - held).values()), "doubled": sum((held - wanted).values())}


def _assert_exactly_once(druid: DruidClient, datasource: str, sent: list[dict[str, Any]]) -> None:
    """Every event sent is in Druid exactly once (and the check catches one lost or one doubled event)."""
    assert len({_key(event) for event in sent}) == len(sent), "the event identity is not unique in what was sent"
    held = _held(druid, datasource)
    assert _tally(sent + sent[:1], held) == {"lost": 1, "doubled": 0}, "the check must see a lost event"
    assert _tally(sent[1:], held) == {"lost": 0, "doubled": 1}, "the check must see a doubled event"
    assert _tally(sent, held) == {"lost": 0, "doubled": 0}, f"examples: {sorted(held)[:3]}"
    [counts] = druid.sql(f'SELECT COUNT(*) AS "rows", COUNT(DISTINCT CONCAT("sessionId", \'@\', '
                         f'CAST(TIMESTAMP_TO_MILLIS("__time") AS VARCHAR))) AS "events" FROM "{datasource}"',
                         context=EXACT)
    assert counts == {"rows": len(sent), "events": len(sent)}


def _wait_caught_up(druid: DruidClient, datasource: str, timeout: float = INGEST_TIMEOUT) -> None:
    """Until the supervisor runs a task with no lag (so a count that holds still is final)."""
    def caught_up() -> bool:
        status = druid.supervisor_status(datasource)
        return status.state == "RUNNING" and bool(status.active_tasks) and status.lag == 0
    poll_until(f"supervisor {datasource} to catch up", caught_up, timeout, interval=1.0)


def _timed(what: str, step: Callable[[], Any], say: Say) -> float:
    """Run step; say and return how long it took."""
    begun = time.monotonic()
    step()
    took = time.monotonic() - begun
    say(f"{what}: {took:.1f} s")
    return took


def test_killing_the_indexer_mid_ingestion_loses_and_duplicates_nothing(
        stream: str, stack: LocalStack, druid: DruidClient, make_events: MakeEvents, say: Say) -> None:
    first, second = make_events(3000, 41), make_events(3000, 42)
    produce_records(stack.kafka_bootstrap, stream, first)
    druid.wait_for_count(stream, len(first), INGEST_TIMEOUT)
    # The task holds these rows in memory, unpublished: the crash takes them with it.
    stack.kill_service("indexer")
    produce_records(stack.kafka_bootstrap, stream, second)
    stack.start_service("indexer", progress=say)
    druid.wait_for_count(stream, len(first) + len(second), INGEST_TIMEOUT, progress=say)
    _wait_caught_up(druid, stream)
    _assert_exactly_once(druid, stream, first + second)


@pytest.mark.parametrize("stop", ["sigterm", "sigkill"])
def test_restarting_kafka_mid_ingestion_loses_and_duplicates_nothing(
        stream: str, stack: LocalStack, druid: DruidClient, make_events: MakeEvents, say: Say, stop: str) -> None:
    events = make_events(6000, 51)
    halfway, broker_down = threading.Event(), threading.Event()
    outcome: dict[str, Any] = {}

    def feed() -> Iterator[dict[str, Any]]:
        """The first half while the broker runs, the second half from the moment it is stopped."""
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
    # Druid's task is reading when the broker goes: some of the first half ingested, the rest still to come.
    ingested = poll_until("Druid to ingest some of the first half", lambda: druid.count(stream), INGEST_TIMEOUT)
    say(f"kafka restart: {ingested} of {len(events)} events in Druid when the broker is stopped")
    # A graceful stop, or a crash (SIGKILL: Kafka recovers its log at start).
    halt = (lambda: stack.stop_service("kafka", progress=say)) if stop == "sigterm" else (
        lambda: stack.kill_service("kafka"))
    _timed(f"kafka stopped ({stop})", halt, say)
    broker_down.set()
    restarted = _timed("kafka started and answering", lambda: stack.start_service("kafka", progress=say), say)
    producer.join(timeout=400)
    assert not producer.is_alive() and "error" not in outcome, outcome
    assert outcome["delivered"] == len(events)
    caught_up = _timed("Druid holds every event after the restart", lambda: druid.wait_for_count(
        stream, len(events), INGEST_TIMEOUT, progress=say), say)
    _wait_caught_up(druid, stream)
    _assert_exactly_once(druid, stream, events)
    say(f"kafka restart ({stop}): broker back in {restarted:.1f} s, all {len(events)} events in Druid "
        f"{caught_up:.1f} s later")


# --- Druid's query path: the historical and the broker, once the rows are handed off -----------------------------


def _served_by_historicals(druid: DruidClient, datasource: str) -> bool:
    """True when the broker sees every published segment of datasource served, and none is real-time."""
    [row] = druid.sql('SELECT COUNT(*) AS "segments", SUM("is_available") AS "available", '
                      'SUM("is_realtime") AS "realtime" FROM sys.segments WHERE "datasource" = ? '
                      'AND ("is_published" = 1 OR "is_realtime" = 1)', parameters=[datasource])
    return row["segments"] > 0 and row["available"] == row["segments"] and row["realtime"] == 0


@pytest.fixture(scope="module")
def handed_off(stack: LocalStack, druid: DruidClient, make_events: MakeEvents,
               say: Say) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """A datasource whose events were all published and loaded by the historical; and those events."""
    name = "handed_off_restarts"
    ensure_topic(stack.kafka_bootstrap, name)
    assert druid.submit_supervisor(supervisor_spec(stack.kafka_bootstrap, topic=name, datasource=name)) == "created"
    events = make_events(5000, 61)
    produce_records(stack.kafka_bootstrap, name, events)
    druid.wait_for_count(name, len(events), INGEST_TIMEOUT)
    druid.hand_off(name)
    _timed("hand-off to the historical", lambda: poll_until(
        f"{name}'s segments on the historical", lambda: _served_by_historicals(druid, name), INGEST_TIMEOUT,
        interval=1.0, progress=say), say)
    _assert_exactly_once(druid, name, events)
    yield name, events
    druid.terminate_supervisor(name)


def _ready_then_exact(druid: DruidClient, datasource: str, events: list[dict[str, Any]], say: Say,
                      what: str, began: float) -> None:
    """Poll until the broker answers with every segment served; the first answer then must be exact."""
    def ready() -> bool:
        try:
            return _served_by_historicals(druid, datasource)
        except Exception:  # noqa: BLE001 - the broker refuses connections while it starts
            return False
    poll_until(f"the broker to see {datasource} served again", ready, READY_TIMEOUT, interval=0.5, progress=say)
    _assert_exactly_once(druid, datasource, events)
    say(f"{what}: queries exact {time.monotonic() - began:.1f} s after the restart began")


def test_restarting_the_historical_loses_and_duplicates_nothing(
        handed_off: tuple[str, list[dict[str, Any]]], stack: LocalStack, druid: DruidClient, say: Say) -> None:
    datasource, events = handed_off
    pid = stack.status()["services"]["historical"]["pid"]
    began = time.monotonic()
    _timed("historical restarted (stop, start, ready)", lambda: stack.restart_service("historical", progress=say),
           say)
    assert stack.status()["services"]["historical"]["pid"] != pid
    _ready_then_exact(druid, datasource, events, say, "historical restart", began)


def test_restarting_the_broker_loses_and_duplicates_nothing(
        handed_off: tuple[str, list[dict[str, Any]]], stack: LocalStack, druid: DruidClient, say: Say) -> None:
    datasource, events = handed_off
    pid = stack.status()["services"]["broker"]["pid"]
    began = time.monotonic()
    _timed("broker restarted (stop, start, ready)", lambda: stack.restart_service("broker", progress=say), say)
    assert stack.status()["services"]["broker"]["pid"] != pid
    _ready_then_exact(druid, datasource, events, say, "broker restart", began)
