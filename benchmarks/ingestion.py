"""Ingestion: how fast the generator fills Kafka, and how fast the local Druid ingests it, with zero loss.

Each run, on a topic of its own, measures side by side:

- **generator -> Kafka**: ``generate_events`` then ``produce_records`` (what ``superset-divolte events
  generate --sink kafka://…`` runs, without the process start), from the start of generation until the
  broker confirmed every record (idempotent producer, acks=all): events per second;
- **live ingestion**: a Druid Kafka supervisor (the repository's spec) is already running on that topic with
  its task ready; from the start of generation until ``COUNT(*)`` is exactly M: events per second through
  generator, Kafka and Druid together, and how long Druid trailed the last confirmed record;
- **catch-up ingestion**: a second supervisor, started on the now full topic (earliest offset), into a
  second datasource: from its first visible row until ``COUNT(*)`` is exactly M (the indexer alone, its task
  start left out), and from submitting it until all rows are in.

Zero loss is checked every time: the count never passes M and ends at M, and the supervisor reports
M rows processed, none unparseable, thrown away or in error. Medians are over the runs.

    .venv/bin/python benchmarks/ingestion.py [--events 200000] [--runs 5] [--workdir .stack]

Results: benchmarks/results/ingestion.json and ingestion.md.
"""

from __future__ import annotations

import argparse
import secrets
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import requests

from common import (command_line, load_average, local_stack, machine, machine_markdown, median, now_iso, say,
                    write_results)
from superset_divolte.druid.client import DruidClient, TooManyRowsError, supervisor_spec
from superset_divolte.events import GeneratorSettings, floor_to_minute, generate_events
from superset_divolte.kafka_sink import ensure_topic, produce_records
from superset_divolte.local_stack import LocalStack
from superset_divolte.local_stack_process import poll_until

TASK_READY_TIMEOUT = 180.0
INGEST_TIMEOUT = 600.0
SETTLE_TIMEOUT = 300.0
POLL = 0.25


def start_supervisor(druid: DruidClient, stack: LocalStack, topic: str, datasource: str) -> float:
    """Submit the repository's supervisor spec for topic -> datasource; return when it was submitted."""
    submitted = time.perf_counter()
    outcome = druid.submit_supervisor(supervisor_spec(stack.kafka_bootstrap, topic=topic, datasource=datasource))
    assert outcome == "created", outcome
    return submitted


def wait_task_ready(druid: DruidClient, datasource: str) -> None:
    """Until the supervisor's task answers with row stats: it is reading from Kafka."""
    def ready() -> bool:
        answer = druid.session.get(f"{druid.overlord_url}/druid/indexer/v1/supervisor/{datasource}/stats",
                                   timeout=30)
        groups = answer.json() if answer.ok and answer.content else {}
        return any((task or {}).get("totals") for group in groups.values() for task in group.values())
    poll_until(f"the {datasource} task to read", ready, TASK_READY_TIMEOUT, interval=0.5,
               progress=lambda line: say(line))


def count_until(druid: DruidClient, datasource: str, expected: int) -> list[tuple[float, int]]:
    """Poll COUNT(*) every POLL s until it is expected; (perf_counter, count) of every poll. Raises on excess."""
    seen: list[tuple[float, int]] = []
    last_said = time.monotonic()

    def done() -> bool:
        nonlocal last_said
        try:
            count = druid.count(datasource)
        except Exception:  # noqa: BLE001 - the broker may not know the datasource for a moment
            return False
        seen.append((time.perf_counter(), count))
        if count > expected:
            raise TooManyRowsError(f"{datasource}: {count} rows, more than the {expected} sent")
        if time.monotonic() - last_said > 5:
            say(f"  {datasource}: {count:,}/{expected:,} rows")
            last_said = time.monotonic()
        return count == expected
    poll_until(f"{datasource} to hold {expected} rows", done, INGEST_TIMEOUT, interval=POLL)
    return seen


def check_no_loss(druid: DruidClient, datasource: str, expected: int) -> dict[str, int]:
    """The supervisor's own tally: every row processed, none unparseable, thrown away or in error."""
    # The task's row stats trail the rows it serves by a moment.
    status = poll_until(f"{datasource}'s task to report its rows", lambda: (
        s := druid.supervisor_status(datasource)).processed >= expected and s, 60.0, interval=0.5)
    tally = {"processed": status.processed, "unparseable": status.unparseable,
             "thrown_away": status.thrown_away, "processed_with_error": status.processed_with_error}
    assert tally == {"processed": expected, "unparseable": 0, "thrown_away": 0, "processed_with_error": 0}, tally
    assert druid.count(datasource) == expected
    return tally


def settle(druid: DruidClient, datasources: list[str]) -> float:
    """Terminate the supervisors and wait until their tasks published and ended (so runs do not overlap)."""
    begun = time.perf_counter()
    for datasource in datasources:
        druid.terminate_supervisor(datasource)

    def idle() -> bool:
        for state in ("runningTasks", "pendingTasks", "waitingTasks"):
            answer = requests.get(f"{druid.overlord_url}/druid/indexer/v1/{state}", timeout=30)
            if any(task.get("dataSource") in datasources for task in answer.json() or []):
                return False
        return True
    poll_until("the run's tasks to publish and end", idle, SETTLE_TIMEOUT, interval=1.0,
               progress=lambda line: say(line))
    return time.perf_counter() - begun


def one_run(index: int, druid: DruidClient, stack: LocalStack, events: int, seed: int, token: str) -> dict[str, Any]:
    """Generator -> Kafka with a live supervisor, then a catch-up supervisor on the same topic."""
    topic = f"bench_{token}_{index}"
    live, catch_up = f"{topic}_live", f"{topic}_catchup"
    run: dict[str, Any] = {"run": index + 1, "topic": topic, "events": events, "started_at": now_iso()}
    try:
        measure_run(run, druid, stack, events, seed + index, topic, live, catch_up)
    finally:
        # Whatever happened, the run's tasks end before the next run starts (the indexer has 4 task slots).
        run["settle_s"] = round(settle(druid, [live, catch_up]), 1)
    run["finished_at"] = now_iso()
    return run


def measure_run(run: dict[str, Any], druid: DruidClient, stack: LocalStack, events: int, seed: int, topic: str,
                live: str, catch_up: str) -> None:
    """The measurements of one run, into ``run``."""
    ensure_topic(stack.kafka_bootstrap, topic)
    start_supervisor(druid, stack, topic, live)
    wait_task_ready(druid, live)
    say(f"run {run['run']}: generating {events:,} events into {topic} (live supervisor {live} reading)")
    begun = time.perf_counter()
    records = generate_events(GeneratorSettings(seed=seed, events=events, days=1,
                                                end=floor_to_minute(datetime.now(timezone.utc))))
    generated = time.perf_counter()
    assert produce_records(stack.kafka_bootstrap, topic, records) == events
    confirmed = time.perf_counter()
    del records
    at_confirmed = druid.count(live)
    polls = count_until(druid, live, events)
    all_in = polls[-1][0]
    run["generator"] = {"generate_s": round(generated - begun, 3), "produce_s": round(confirmed - generated, 3),
                        "total_s": round(confirmed - begun, 3), "events_per_s": round(events / (confirmed - begun))}
    run["live_ingestion"] = {"total_s": round(all_in - begun, 3), "events_per_s": round(events / (all_in - begun)),
                             "rows_in_druid_at_last_confirmation": at_confirmed,
                             "druid_trailed_last_confirmation_by_s": round(all_in - confirmed, 3),
                             "tally": check_no_loss(druid, live, events)}
    say(f"run {run['run']}: generator -> Kafka {run['generator']['events_per_s']:,} events/s; live: all in Druid "
        f"{run['live_ingestion']['druid_trailed_last_confirmation_by_s']:.1f} s after the last confirmation")

    submitted = start_supervisor(druid, stack, topic, catch_up)
    polls = count_until(druid, catch_up, events)
    first = next((t, n) for t, n in polls if n > 0)
    all_in = polls[-1][0]
    run["catch_up_ingestion"] = {
        "submit_to_all_s": round(all_in - submitted, 3), "first_row_after_submit_s": round(first[0] - submitted, 3),
        "rows_at_first_sight": first[1], "first_row_to_all_s": round(all_in - first[0], 3),
        "events_per_s": round((events - first[1]) / (all_in - first[0])) if all_in > first[0] else None,
        "tally": check_no_loss(druid, catch_up, events)}
    say(f"run {run['run']}: catch-up {run['catch_up_ingestion']['events_per_s']:,} events/s after the first row "
        f"({run['catch_up_ingestion']['submit_to_all_s']:.1f} s from submitting)")


def summary(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Medians (and ranges) over the runs."""
    def stats(path: tuple[str, str]) -> dict[str, float]:
        values = [run[path[0]][path[1]] for run in runs if run[path[0]][path[1]] is not None]
        return {"median": median(values), "min": min(values), "max": max(values)}
    return {"runs": len(runs),
            "generator_events_per_s": stats(("generator", "events_per_s")),
            "generate_s": stats(("generator", "generate_s")), "produce_s": stats(("generator", "produce_s")),
            "live_events_per_s": stats(("live_ingestion", "events_per_s")),
            "live_druid_trailed_s": stats(("live_ingestion", "druid_trailed_last_confirmation_by_s")),
            "catch_up_events_per_s": stats(("catch_up_ingestion", "events_per_s")),
            "catch_up_submit_to_all_s": stats(("catch_up_ingestion", "submit_to_all_s")),
            "lost_or_duplicated_rows": 0}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=200_000, help="events per run (M)")
    parser.add_argument("--runs", type=int, default=5, help="repeated runs; medians are reported")
    parser.add_argument("--seed", type=int, default=100)
    parser.add_argument("--workdir", type=Path, help="use the stack running in this folder (left running)")
    args = parser.parse_args()
    if args.events <= 0 or args.runs <= 0:
        parser.error("--events and --runs must be positive")
    started, load_before, info = now_iso(), load_average(), machine()
    token = secrets.token_hex(3)
    with local_stack(args.workdir) as (stack, stack_facts):
        druid = DruidClient(stack.overlord_url, stack.druid_router_or_broker_url)
        runs = [one_run(index, druid, stack, args.events, args.seed, token) for index in range(args.runs)]
    result = {
        "benchmark": "ingestion", "command": command_line(), "started_at": started, "finished_at": now_iso(),
        "machine": info, "load_average": {"before": load_before, "after": load_average()}, "stack": stack_facts,
        "method": {"events_per_run": args.events, "event_time": "one day of traffic ending at the run's minute",
                   "supervisor": "stack/druid/clickstream-supervisor.json (1 task, 1 partition)",
                   "count_poll_s": POLL, "medians": "over the runs"},
        "summary": summary(runs), "runs": runs,
    }
    paths = write_results("ingestion", result, markdown(result))
    say(f"wrote {paths[0]} and {paths[1]}")
    print(markdown(result))


def markdown(result: dict[str, Any]) -> str:
    """The short human summary."""
    s = result["summary"]

    def line(label: str, key: str, unit: str, digits: int = 0) -> str:
        v = s[key]
        return f"| {label} | {v['median']:,.{digits}f} {unit} | {v['min']:,.{digits}f} - {v['max']:,.{digits}f} |"
    return "\n".join([
        "# Ingestion: generator -> Kafka -> Druid",
        "",
        f"`{result['command']}`",
        "",
        f"{s['runs']} runs of {result['method']['events_per_run']:,} events each; every run ended with exactly "
        "as many rows in Druid as events sent (no loss, no duplicates; the supervisor reported none "
        "unparseable, thrown away or in error).",
        "",
        "| measure (per run) | median | range |",
        "|---|---|---|",
        line("generator -> Kafka, until every record confirmed", "generator_events_per_s", "events/s"),
        line("  of which generating the events", "generate_s", "s", 1),
        line("  of which producing until confirmed", "produce_s", "s", 1),
        line("live: generator start until all rows queryable in Druid", "live_events_per_s", "events/s"),
        line("live: Druid complete after the last confirmation", "live_druid_trailed_s", "s", 1),
        line("catch-up: Druid alone, first row to all rows", "catch_up_events_per_s", "events/s"),
        line("catch-up: supervisor submitted until all rows", "catch_up_submit_to_all_s", "s", 1),
        "",
        machine_markdown(result["machine"], result["stack"], result["started_at"], result["finished_at"],
                         result["load_average"]),
    ])


if __name__ == "__main__":
    main()
