"""The Druid ``experiments`` datasource: exposed and converted units per experiment, variant, unit and hour of
first exposure, materialised from the clickstream inside Druid.

The experiments dataset on Druid is this datasource itself, a few rows per experiment and hour, so its charts
read thousands of rows instead of regrouping every exposure event by unit at each view (at 10M events that
regrouping took 10-30 s per chart). The rows are exact: the Broker answers ``stack/druid/experiments.sql``
(a nested group-by, one row per unit inside Druid), the rows go to a JSON-lines file in the staging folder the
indexer reads, and one native batch task (``stack/druid/experiments-index.json``, ``dropExisting``) replaces
every month they span at once, so a run killed anywhere leaves the old rows or the new ones, never a mix.

A visitor's row can change whenever it converts, however long after its first exposure, so each run
recomputes every row; the query reads only the events that carry an experiment. A run first compares the
count and latest time of those events with the ones stamped on the rows by the last run, and replaces nothing
when they are equal (idempotent, and cheap on a quiet stream). The stamp is read before the query: an event
arriving meanwhile makes the next run recompute, never skip.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from superset_divolte.druid.client import DruidClient, DruidError
from superset_divolte.druid.batch import TASK_TIMEOUT, Progress, fill_template, iso, missing, wait_served
from superset_divolte.event_exclusion import with_included_events
from superset_divolte.local_stack_artifacts import STACK_FILES

EXPERIMENTS_SQL_PATH = STACK_FILES / "experiments.sql"
EXPERIMENTS_INDEX_PATH = STACK_FILES / "experiments-index.json"
DATASOURCE = "experiments"
SOURCE = "clickstream"


@dataclass(frozen=True)
class SourceState:
    """What the rows were computed from: the events carrying an experiment, included or not."""

    events: int
    latest_ms: int | None


@dataclass(frozen=True)
class ExperimentsResult:
    """One run's outcome: rows written (0 when nothing changed) and its wall time."""

    rows: int
    seconds: float


def experiments_sql() -> str:
    """The query of ``EXPERIMENTS_SQL_PATH``, counting the included events only."""
    return with_included_events(EXPERIMENTS_SQL_PATH.read_text(), "druid")


def index_spec(start_ms: int, end_ms: int, staging: Path, file_name: str) -> dict[str, Any]:
    """The native batch task that replaces [start_ms, end_ms) of ``experiments`` with staging/file_name."""
    return fill_template(EXPERIMENTS_INDEX_PATH, start_ms, end_ms, staging, file_name)


def source_state(client: DruidClient) -> SourceState:
    """Count and latest time of the clickstream events that carry an experiment (a native timeseries)."""
    [row] = client.sql(f'SELECT COUNT(*) AS "events", TIMESTAMP_TO_MILLIS(MAX("__time")) AS "latest" '
                       f'FROM "{SOURCE}" WHERE "experiment" IS NOT NULL')
    return SourceState(int(row["events"]), None if row["latest"] is None else int(row["latest"]))


def materialised(client: DruidClient) -> dict[str, Any] | None:
    """The stamp and time span of the rows ``experiments`` holds, None before any."""
    try:
        [row] = client.sql(f'SELECT MAX("source_events") AS "events", MAX("source_latest_ms") AS "latest", '
                           f'TIMESTAMP_TO_MILLIS(MIN("__time")) AS "first", MAX("last_event_ms") AS "last_event" '
                           f'FROM "{DATASOURCE}"')
    except DruidError as error:
        if missing(error):
            return None
        raise
    if row["events"] is None:
        return None
    latest = None if row["latest"] is None else int(row["latest"])
    return {"state": SourceState(int(row["events"]), latest),
            "first_ms": int(row["first"]), "last_event_ms": row["last_event"]}


def replaced_interval(rows: list[dict[str, Any]], before: dict[str, Any] | None) -> tuple[int, int]:
    """Whole months from the earliest hour, new or already materialised, to the month after the latest."""
    hours = [int(r["hour_ms"]) for r in rows] + ([before["first_ms"]] if before else [])
    return _month_floor(min(hours)), _next_month(_month_floor(max(hours)))


def stage(rows: list[dict[str, Any]], state: SourceState, path: Path) -> None:
    """The rows as JSON lines, each stamped with the source state; renamed into place when whole."""
    staged = path.with_suffix(".part")
    stamp = {"source_events": state.events, "source_latest_ms": state.latest_ms}
    with staged.open("w") as out:
        out.writelines(json.dumps({**row, **stamp}) + "\n" for row in rows)
    os.replace(staged, path)  # the task never reads a half-written file


def materialise_experiments(client: DruidClient, staging: Path, progress: Progress = print) -> ExperimentsResult:
    """One run: recompute every row unless the experiment events are as the last run saw them."""
    begun = time.monotonic()
    state, before = source_state(client), materialised(client)
    if before is not None and before["state"] == state:
        progress("experiments: no new experiment events, rows unchanged")
        return ExperimentsResult(0, time.monotonic() - begun)
    rows = client.sql(experiments_sql())
    if not rows:
        progress("experiments: no included events carry an experiment yet")
        return ExperimentsResult(0, time.monotonic() - begun)
    start, end = replaced_interval(rows, before)
    path = staging / f"experiments-{start}-{uuid.uuid4().hex[:8]}.json"
    stage(rows, state, path)
    task_id = client.submit_task(index_spec(start, end, staging, path.name))
    progress(f"experiments: task {task_id} submitted for {len(rows):,} rows, {iso(start)[:7]} to {iso(end)[:7]}")
    client.wait_for_task(task_id, TASK_TIMEOUT)
    path.unlink(missing_ok=True)
    wait_served(client, DATASOURCE, start, end, len(rows))
    result = ExperimentsResult(len(rows), time.monotonic() - begun)
    progress(f"experiments: {result.rows:,} rows in {result.seconds:.1f} s")
    return result


def freshness(client: DruidClient) -> str:
    """'experiments up to YYYY-MM-DD HH:MM UTC': the latest experiment event the rows count."""
    before = materialised(client)
    if before is None or before["last_event_ms"] is None:
        return "experiments: not materialised yet"
    moment = datetime.fromtimestamp(int(before["last_event_ms"]) / 1000, timezone.utc)
    return f"experiments up to {moment:%Y-%m-%d %H:%M} UTC"


def _month_floor(ms: int) -> int:
    moment = datetime.fromtimestamp(ms / 1000, timezone.utc)
    return int(datetime(moment.year, moment.month, 1, tzinfo=timezone.utc).timestamp() * 1000)


def _next_month(month_ms: int) -> int:
    moment = datetime.fromtimestamp(month_ms / 1000, timezone.utc)
    year, month = (moment.year + 1, 1) if moment.month == 12 else (moment.year, moment.month + 1)
    return int(datetime(year, month, 1, tzinfo=timezone.utc).timestamp() * 1000)
