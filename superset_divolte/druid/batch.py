"""Datasources materialised inside Druid by day: rows staged as JSON lines, replaced by native batch tasks.

A Broker query gives each day's rows (a top-level result, streamed, so never held under
``maxSubqueryRows``); the rows go to a file in a staging folder the indexer reads, renamed into place when
whole; an ``index_parallel`` task with ``dropExisting`` then replaces those days of the datasource at once.
Days go oldest first and each replacement is atomic, so a run killed anywhere (its task finishing or not)
leaves whole days, old or new, for the next run to start from.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

from superset_divolte.druid.client import DruidClient, DruidError
from superset_divolte.local_stack_process import poll_until

DAY_MS = 86_400_000
BATCH_DAYS = 7
"""Days per task: each task's start costs seconds; a week of rows at 10M events a month stays small."""
TASK_TIMEOUT = 1800.0
STAGED_PREFIXES = ("sessions-", "experiments-", "signup_funnel-")
"""Names of the files the materialisers stage: the staging folder is theirs."""

Progress = Callable[[str], None]


@dataclass(frozen=True)
class DayTable:
    """A datasource materialised by day, and how to make its rows."""

    datasource: str
    rows_of_day: Callable[[DruidClient, int], list[dict[str, Any]]]
    """The rows of the day starting at this epoch ms."""
    index_spec: Callable[[int, int, Path, str], dict[str, Any]]
    """The task replacing [start, end) with staging/file: (start_ms, end_ms, staging, file_name)."""
    served_rows: str = "COUNT(*)"
    """How the datasource counts the rows staged (``SUM("rows")`` where ingestion rolls them up)."""


@dataclass(frozen=True)
class BatchResult:
    """Days replaced by one task."""

    first_day: str
    last_day: str
    rows: int
    seconds: float


def iso(ms: int) -> str:
    """Druid's ISO 8601 form of an epoch ms (UTC)."""
    return datetime.fromtimestamp(ms / 1000, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def fill_template(path: Path, start_ms: int, end_ms: int, staging: Path, file_name: str) -> dict[str, Any]:
    """A task spec file with its interval, staging folder and file filled in."""
    text = (path.read_text().replace("${INTERVAL}", f"{iso(start_ms)}/{iso(end_ms)}")
            .replace("${BASE_DIR}", str(staging)).replace("${FILE}", file_name))
    return json.loads(text)


def stage_days(client: DruidClient, table: DayTable, days: list[int], path: Path, progress: Progress) -> int:
    """Write these days' rows to path as JSON lines, one query per day; returns the count."""
    staged, count = path.with_suffix(".part"), 0
    with staged.open("w") as out:
        for day in days:
            rows = table.rows_of_day(client, day)
            out.writelines(json.dumps(row) + "\n" for row in rows)
            count += len(rows)
            progress(f"{table.datasource}: {iso(day)[:10]}: {len(rows):,} rows staged")
    os.replace(staged, path)  # the task never reads a half-written file
    return count


def replace_days(client: DruidClient, table: DayTable, days: list[int], staging: Path,
                 progress: Progress) -> BatchResult:
    """Replace these contiguous days at once; returns when Druid serves them."""
    begun = time.monotonic()
    start, end = days[0], days[-1] + DAY_MS
    path = staging / f"{table.datasource}-{start}-{uuid.uuid4().hex[:8]}.json"
    count = stage_days(client, table, days, path, progress)
    task_id = client.submit_task(table.index_spec(start, end, staging, path.name))
    progress(f"{table.datasource}: task {task_id} submitted for {iso(start)[:10]} to {iso(days[-1])[:10]}")
    client.wait_for_task(task_id, TASK_TIMEOUT)
    path.unlink(missing_ok=True)
    wait_served(client, table.datasource, start, end, count, rows=table.served_rows)
    return BatchResult(iso(start)[:10], iso(days[-1])[:10], count, time.monotonic() - begun)


def replace_in_batches(client: DruidClient, table: DayTable, days: list[int], staging: Path,
                       progress: Progress) -> list[BatchResult]:
    """Every day from the first to the last of ``days``, oldest first, ``BATCH_DAYS`` per task."""
    staging.mkdir(parents=True, exist_ok=True)
    remove_stale_files(staging)
    every = list(range(days[0], days[-1] + DAY_MS, DAY_MS)) if days else []
    progress(f"{table.datasource}: {len(every)} day(s) to materialise")
    results = []
    for first in range(0, len(every), BATCH_DAYS):
        result = replace_days(client, table, every[first:first + BATCH_DAYS], staging, progress)
        progress(f"{table.datasource}: {result.first_day} to {result.last_day}: {result.rows:,} rows in "
                 f"{result.seconds:.1f} s")
        results.append(result)
    return results


def wait_served(client: DruidClient, datasource: str, start_ms: int, end_ms: int, expected: int,
                timeout: float = 300.0, rows: str = "COUNT(*)") -> None:
    """Poll until the Broker answers with the new rows (the historical has loaded the new segments)."""
    query = (f'SELECT {rows} AS "n" FROM "{datasource}" WHERE "__time" >= MILLIS_TO_TIMESTAMP({start_ms}) '
             f'AND "__time" < MILLIS_TO_TIMESTAMP({end_ms})')

    def served() -> bool:
        try:
            return int(client.sql(query)[0]["n"] or 0) == expected
        except DruidError:
            return expected == 0
    try:
        poll_until(f"{datasource} to serve {expected} rows", served, timeout, interval=1.0)
    except TimeoutError:
        raise DruidError(f"{datasource} does not serve the {expected} rows of {iso(start_ms)[:10]} to "
                         f"{iso(end_ms)[:10]} {timeout:.0f} s after the task; check the coordinator and the "
                         "historical's log") from None


def missing(error: DruidError) -> bool:
    """True when Druid refused a query because its datasource does not exist (yet)."""
    return "not found" in str(error).lower()


def remove_stale_files(staging: Path) -> None:
    """Staged files of killed runs whose tasks are long over."""
    for path in staging.iterdir():
        if path.name.startswith(STAGED_PREFIXES) and time.time() - path.stat().st_mtime > 2 * TASK_TIMEOUT:
            path.unlink(missing_ok=True)
