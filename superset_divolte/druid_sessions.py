"""The Druid ``sessions`` datasource: one row per session, materialised from the clickstream inside Druid.

A session's rows are exact: the Broker runs one top-level GROUP BY per day of session starts
(``stack/druid/sessions.sql``; a top-level result is streamed, not held under ``maxSubqueryRows``), the rows
go to a JSON-lines file in a staging folder the indexer reads, and a native batch task
(``stack/druid/sessions-index.json``: ``index_parallel``, ``dropExisting``) replaces that day of ``sessions``
atomically, deriving the bucket, bounce and source columns with ingestion-time expressions.

Days are taken oldest first and each replacement is atomic, so a run killed anywhere leaves whole days, old
or new, and the next run starts from what is there: the days holding sessions with events at or after the
latest materialised session end, less the 30 minutes after which Divolte closes a session. Running it again
with nothing new replaces the last days with the same rows (idempotent).

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
from superset_divolte.local_stack_artifacts import STACK_FILES
from superset_divolte.local_stack_process import poll_until

SESSIONS_SQL_PATH = STACK_FILES / "sessions.sql"
SESSIONS_INDEX_PATH = STACK_FILES / "sessions-index.json"
DATASOURCE = "sessions"
SOURCE = "clickstream"
SESSION_TIMEOUT = timedelta(minutes=30)
"""Divolte ends a session after 30 minutes without events: an older session gets no more events."""
DAY_MS = 86_400_000
TASK_TIMEOUT = 1800.0

Progress = Callable[[str], None]


@dataclass(frozen=True)
class DayResult:
    """One day of session starts, materialised."""

    day: str
    sessions: int
    seconds: float


def session_rows(client: DruidClient, start_ms: int, end_ms: int) -> list[dict[str, Any]]:
    """Exact per-session rows of the sessions that started in [start_ms, end_ms)."""
    return client.sql(SESSIONS_SQL_PATH.read_text(), parameters=[start_ms, start_ms, end_ms])


def index_spec(day_start_ms: int, staging: Path, file_name: str) -> dict[str, Any]:
    """The native batch task that replaces one day of ``sessions`` with the rows in staging/file_name."""
    interval = f"{_iso(day_start_ms)}/{_iso(day_start_ms + DAY_MS)}"
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


def materialise_day(client: DruidClient, day_start_ms: int, staging: Path) -> DayResult:
    """Replace one day of session starts in ``sessions``; returns when Druid serves the new rows."""
    begun = time.monotonic()
    rows = session_rows(client, day_start_ms, day_start_ms + DAY_MS)
    file_name = f"sessions-{day_start_ms}-{uuid.uuid4().hex[:8]}.json"
    path = staging / file_name
    staged = path.with_suffix(".part")
    with staged.open("w") as out:
        for row in rows:
            out.write(json.dumps(row) + "\n")
    os.replace(staged, path)  # the task never reads a half-written file
    try:
        task_id = client.submit_task(index_spec(day_start_ms, staging, file_name))
        client.wait_for_task(task_id, TASK_TIMEOUT)
        wait_served(client, day_start_ms, len(rows))
    finally:
        path.unlink(missing_ok=True)
    return DayResult(_iso(day_start_ms)[:10], len(rows), time.monotonic() - begun)


def wait_served(client: DruidClient, day_start_ms: int, expected: int, timeout: float = 300.0) -> None:
    """Poll until the Broker answers with the new day's rows (the historical has loaded its segment)."""
    query = (f'SELECT COUNT(*) AS "n" FROM "{DATASOURCE}" WHERE "__time" >= MILLIS_TO_TIMESTAMP({day_start_ms}) '
             f'AND "__time" < MILLIS_TO_TIMESTAMP({day_start_ms + DAY_MS})')

    def served() -> bool:
        try:
            return int(client.sql(query)[0]["n"]) == expected
        except DruidError:
            return expected == 0
    poll_until(f"{DATASOURCE} to serve {expected} sessions of {_iso(day_start_ms)[:10]}", served, timeout,
               interval=1.0)


def materialise_sessions(client: DruidClient, staging: Path | None = None,
                         progress: Progress = print) -> list[DayResult]:
    """One run: every day that may have changed, oldest first. staging: a folder the indexer can read."""
    folder = staging or Path(tempfile.gettempdir()) / "superset-divolte-sessions"
    folder.mkdir(parents=True, exist_ok=True)
    results = []
    days = days_to_refresh(client)
    progress(f"sessions: {len(days)} day(s) to materialise")
    for day in days:
        result = materialise_day(client, day, folder)
        progress(f"sessions: {result.day}: {result.sessions:,} sessions in {result.seconds:.1f} s")
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
