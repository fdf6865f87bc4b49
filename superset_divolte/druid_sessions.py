"""The Druid ``sessions`` datasource: one row per session, materialised from the clickstream inside Druid.

A session's rows are exact: the Broker runs one top-level GROUP BY per day of session starts
(``stack/druid/sessions.sql``; a top-level result is streamed, not held under ``maxSubqueryRows``), the rows
go to a JSON-lines file in a staging folder the indexer reads, and a native batch task
(``stack/druid/sessions-index.json``: ``index_parallel``, ``dropExisting``) replaces those days (up to a
week per task) of ``sessions`` atomically, deriving the bucket, bounce and source columns with
ingestion-time expressions.

Days are taken oldest first and each replacement is atomic, so a run killed anywhere (its task finishing
or not) leaves whole days, old or new, and the next run starts from what is there: the days holding
sessions with events at or after the latest materialised session end, less the 30 minutes after which
Divolte closes a session. Running it again with nothing new replaces the last days with the same rows
(idempotent).

Why not SQL-based ingestion (``REPLACE INTO … OVERWRITE``, the ``scheduled_batch`` supervisor): the
``druid-multi-stage-query`` extension is not on Maven Central for Druid 33, and the local stack resolves its
jars from there; native batch is in Druid's core.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable

from superset_divolte.druid_client import DruidClient, DruidError
from superset_divolte.event_exclusion import with_included_events
from superset_divolte.local_stack_artifacts import STACK_FILES
from superset_divolte.local_stack_process import poll_until

SESSIONS_SQL_PATH = STACK_FILES / "sessions.sql"
SESSIONS_INDEX_PATH = STACK_FILES / "sessions-index.json"
DATASOURCE = "sessions"
SOURCE = "clickstream"
SESSION_TIMEOUT = timedelta(minutes=30)
"""Divolte ends a session after 30 minutes without events: an older session gets no more events."""
DAY_MS = 86_400_000
BATCH_DAYS = 7
"""Days per task: each task's start costs seconds; a week of rows at 10M events a month stays small."""
TASK_TIMEOUT = 1800.0

Progress = Callable[[str], None]


@dataclass(frozen=True)
class BatchResult:
    """Days of session starts replaced by one task."""

    first_day: str
    last_day: str
    sessions: int
    seconds: float


def sessions_sql() -> str:
    """The sessions query of ``SESSIONS_SQL_PATH``, counting the included events only."""
    return with_included_events(SESSIONS_SQL_PATH.read_text(), "druid")


def session_rows(client: DruidClient, start_ms: int, end_ms: int) -> list[dict[str, Any]]:
    """Exact per-session rows of the sessions that started in [start_ms, end_ms)."""
    return client.sql(sessions_sql(), parameters=[start_ms, start_ms, end_ms])


def index_spec(start_ms: int, staging: Path, file_name: str, end_ms: int | None = None) -> dict[str, Any]:
    """The native batch task that replaces [start_ms, end_ms) (default one day) of ``sessions`` with the rows
    in staging/file_name."""
    interval = f"{_iso(start_ms)}/{_iso(end_ms or start_ms + DAY_MS)}"
    text = (SESSIONS_INDEX_PATH.read_text().replace("${INTERVAL}", interval)
            .replace("${BASE_DIR}", str(staging)).replace("${FILE}", file_name))
    return json.loads(text)


def days_to_refresh(client: DruidClient) -> list[int]:
    """Day starts (epoch ms) whose sessions may differ from what ``sessions`` holds, oldest first.

    Those with a session that has an event at or after the cut-off: the latest session end materialised,
    but no later than the end of the latest day materialised (a killed run may have done day k-1 and not
    day k, whose sessions all have events after day k begins), less the session timeout.
    """
    latest = latest_materialised(client)
    where = ""
    if latest is not None:
        cutoff = min(latest["end"], latest["day"] + DAY_MS) - int(SESSION_TIMEOUT.total_seconds() * 1000)
        where = f'WHERE "__time" >= MILLIS_TO_TIMESTAMP({cutoff})'
    rows = client.sql(
        'SELECT DISTINCT PARSE_LONG(REGEXP_EXTRACT("sessionId", \'^0:([0-9a-z]+):\', 1), 36) / 86400000 AS "day" '
        f'FROM "{SOURCE}" {where}')
    return sorted(int(r["day"]) * DAY_MS for r in rows if r["day"] is not None)


def latest_materialised(client: DruidClient) -> dict[str, int] | None:
    """The latest session end and the latest day of session starts materialised (epoch ms), None before any."""
    try:
        rows = client.sql(f'SELECT MAX("session_end_ms") AS "end", '
                          f'TIMESTAMP_TO_MILLIS(TIME_FLOOR(MAX("__time"), \'P1D\')) AS "day" FROM "{DATASOURCE}"')
    except DruidError as error:
        if "not found" in str(error).lower():
            return None
        raise
    if not rows or rows[0]["end"] is None:
        return None
    return {"end": int(rows[0]["end"]), "day": int(rows[0]["day"])}


def stage_rows(client: DruidClient, days: list[int], path: Path, progress: Progress) -> int:
    """Write the sessions of these days to path as JSON lines, one GROUP BY per day; returns the count."""
    staged, count = path.with_suffix(".part"), 0
    with staged.open("w") as out:
        for day in days:
            rows = session_rows(client, day, day + DAY_MS)
            out.writelines(json.dumps(row) + "\n" for row in rows)
            count += len(rows)
            progress(f"sessions: {_iso(day)[:10]}: {len(rows):,} sessions staged")
    os.replace(staged, path)  # the task never reads a half-written file
    return count


def materialise_batch(client: DruidClient, days: list[int], staging: Path, progress: Progress) -> BatchResult:
    """Replace these contiguous days of session starts in ``sessions`` at once; returns when Druid serves them."""
    begun = time.monotonic()
    start, end = days[0], days[-1] + DAY_MS
    path = staging / f"sessions-{start}-{uuid.uuid4().hex[:8]}.json"
    count = stage_rows(client, days, path, progress)
    task_id = client.submit_task(index_spec(start, staging, path.name, end))
    progress(f"sessions: task {task_id} submitted for {_iso(start)[:10]} to {_iso(days[-1])[:10]}")
    client.wait_for_task(task_id, TASK_TIMEOUT)
    path.unlink(missing_ok=True)
    wait_served(client, start, end, count)
    return BatchResult(_iso(start)[:10], _iso(days[-1])[:10], count, time.monotonic() - begun)


def wait_served(client: DruidClient, start_ms: int, end_ms: int, expected: int, timeout: float = 300.0) -> None:
    """Poll until the Broker answers with the new rows (the historical has loaded the new segments)."""
    query = (f'SELECT COUNT(*) AS "n" FROM "{DATASOURCE}" WHERE "__time" >= MILLIS_TO_TIMESTAMP({start_ms}) '
             f'AND "__time" < MILLIS_TO_TIMESTAMP({end_ms})')

    def served() -> bool:
        try:
            return int(client.sql(query)[0]["n"]) == expected
        except DruidError:
            return expected == 0
    try:
        poll_until(f"{DATASOURCE} to serve {expected} sessions", served, timeout, interval=1.0)
    except TimeoutError:
        raise DruidError(f"{DATASOURCE} does not serve the {expected} sessions of {_iso(start_ms)[:10]} to "
                         f"{_iso(end_ms)[:10]} {timeout:.0f} s after the task; check the coordinator and the "
                         "historical's log") from None


def remove_stale_files(staging: Path) -> None:
    """Staged files of killed runs whose tasks are long over."""
    for path in staging.glob("sessions-*"):
        if time.time() - path.stat().st_mtime > 2 * TASK_TIMEOUT:
            path.unlink(missing_ok=True)


def materialise_sessions(client: DruidClient, staging: Path | None = None,
                         progress: Progress = print) -> list[BatchResult]:
    """One run: every day that may have changed, oldest first, BATCH_DAYS per task.

    staging: a folder the indexer can read (the local stack's indexer shares this machine's disk).
    """
    folder = staging or Path(tempfile.gettempdir()) / "superset-divolte-sessions"
    folder.mkdir(parents=True, exist_ok=True)
    remove_stale_files(folder)
    changed = days_to_refresh(client)
    days = list(range(changed[0], changed[-1] + DAY_MS, DAY_MS)) if changed else []
    progress(f"sessions: {len(days)} day(s) to materialise")
    results = []
    for first in range(0, len(days), BATCH_DAYS):
        result = materialise_batch(client, days[first:first + BATCH_DAYS], folder, progress)
        progress(f"sessions: {result.first_day} to {result.last_day}: {result.sessions:,} sessions in "
                 f"{result.seconds:.1f} s")
        results.append(result)
    return results


def run(client: DruidClient, staging: Path | None, every: float | None, progress: Progress = print) -> None:
    """``superset-divolte druid sessions``: one run, or one every ``every`` seconds until stopped."""
    while True:
        begun = time.monotonic()
        materialise_sessions(client, staging, progress)
        progress(freshness(client))
        if every is None:
            return
        time.sleep(max(0.0, every - (time.monotonic() - begun)))  # the schedule's pause, not a synchronisation


def freshness(client: DruidClient) -> str:
    """'sessions up to HH:MM' (UTC) of the latest materialised session end."""
    latest = latest_materialised(client)
    if latest is None:
        return "sessions: not materialised yet"
    return f"sessions up to {datetime.fromtimestamp(latest['end'] / 1000, timezone.utc):%Y-%m-%d %H:%M} UTC"


def _iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")
