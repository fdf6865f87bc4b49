"""The Druid ``sessions`` datasource: one row per session, materialised from the clickstream inside Druid.

A session's rows are exact: the Broker runs one top-level GROUP BY per day of session starts
(``stack/druid/sessions.sql``), and ``druid.batch`` stages them and replaces those days (up to a week per
task) of ``sessions`` atomically (``stack/druid/sessions-index.json``), deriving the bucket, bounce and
source columns with ingestion-time expressions.

A run killed anywhere leaves whole days, old or new, and the next run starts from what is there: the days
holding sessions with events at or after the latest materialised session end, less the 30 minutes after
which Divolte closes a session. Running it again with nothing new replaces the last days with the same rows
(idempotent).

Why not SQL-based ingestion (``REPLACE INTO … OVERWRITE``, the ``scheduled_batch`` supervisor): the
``druid-multi-stage-query`` extension is not on Maven Central for Druid 33, and the local stack resolves its
jars from there; native batch is in Druid's core.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from superset_divolte.druid.batch import (DAY_MS, BatchResult, DayTable, Progress, fill_template, missing,
                                          replace_in_batches)
from superset_divolte.druid.client import DruidClient, DruidError
from superset_divolte.event_exclusion import with_included_events
from superset_divolte.local_stack_artifacts import STACK_FILES

SESSIONS_SQL_PATH = STACK_FILES / "sessions.sql"
SESSIONS_INDEX_PATH = STACK_FILES / "sessions-index.json"
DATASOURCE = "sessions"
SOURCE = "clickstream"
SESSION_TIMEOUT = timedelta(minutes=30)
"""Divolte ends a session after 30 minutes without events: an older session gets no more events."""


def sessions_sql() -> str:
    """The sessions query of ``SESSIONS_SQL_PATH``, counting the included events only."""
    return with_included_events(SESSIONS_SQL_PATH.read_text(), "druid")


def session_rows(client: DruidClient, start_ms: int, end_ms: int) -> list[dict[str, Any]]:
    """Exact per-session rows of the sessions that started in [start_ms, end_ms)."""
    return client.sql(sessions_sql(), parameters=[start_ms, start_ms, end_ms])


def index_spec(start_ms: int, staging: Path, file_name: str, end_ms: int | None = None) -> dict[str, Any]:
    """The native batch task that replaces [start_ms, end_ms) (default one day) of ``sessions`` with the rows
    in staging/file_name."""
    return fill_template(SESSIONS_INDEX_PATH, start_ms, end_ms or start_ms + DAY_MS, staging, file_name)


SESSIONS = DayTable(DATASOURCE, lambda client, day: session_rows(client, day, day + DAY_MS),
                    lambda start, end, staging, name: index_spec(start, staging, name, end))


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
        if missing(error):
            return None
        raise
    if not rows or rows[0]["end"] is None:
        return None
    return {"end": int(rows[0]["end"]), "day": int(rows[0]["day"])}


def materialise_sessions(client: DruidClient, staging: Path, progress: Progress = print) -> list[BatchResult]:
    """One run: every day that may have changed, oldest first.

    staging: a folder the indexer can read (the local stack's indexer shares this machine's disk).
    """
    return replace_in_batches(client, SESSIONS, days_to_refresh(client), staging, progress)


def freshness(client: DruidClient) -> str:
    """'sessions up to HH:MM' (UTC) of the latest materialised session end."""
    latest = latest_materialised(client)
    if latest is None:
        return "sessions: not materialised yet"
    return f"sessions up to {datetime.fromtimestamp(latest['end'] / 1000, timezone.utc):%Y-%m-%d %H:%M} UTC"
