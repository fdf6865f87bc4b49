"""The Druid ``signup_funnel`` datasource: how deep each visitor's signup-funnel attempts of a day went,
materialised from the clickstream inside Druid, as theta sketches of visitors.

The signup funnel (``sql_macros.MATERIALISED_FUNNEL_STEPS``, a one-day window) is the one the Sessions and
funnels dashboard shows; at 10M events its exact count on the raw events took about a minute. With a one-day
window, an attempt that starts on UTC day d ends on d or d+1. So, per visitor with a step-1 event on d,
``sql_macros.funnel_levels_sql`` gives the deepest step of the attempts starting on d with the events of d
and d+1 (``level_full``) and with those of d alone (``level_clipped``: what a range ending that night
counts). Ingestion rolls the rows up per day and pair of levels into a theta sketch of the visitors
(``stack/druid/signup-funnel-index.json``), and the funnel over any range of whole days is one sketch union
per step (``sql_macros._materialised_funnel``): exact up to 65,536 visitors per step, within 1.2 % (99.7 % of
the time) above. Other funnels, windows and ranges that are not whole days are counted on the raw events.

Days are replaced a week per task by ``druid.batch``; a run starts from the day before the latest step event
it had seen (an attempt of that day may gain later steps), but no later than the latest day materialised (a
killed run may have done day k-1 and not day k).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from superset_divolte.druid.batch import DAY_MS, BatchResult, DayTable, Progress, fill_template, missing, \
    replace_in_batches
from superset_divolte.druid.client import DruidClient, DruidError
from superset_divolte.local_stack_artifacts import STACK_FILES
from superset_divolte.sql_macros import MATERIALISED_FUNNEL_STEPS, MATERIALISED_FUNNEL_TABLE, funnel_levels_sql

FUNNEL_INDEX_PATH = STACK_FILES / "signup-funnel-index.json"
DATASOURCE = MATERIALISED_FUNNEL_TABLE
SOURCE = "clickstream"


def _steps() -> str:
    return ", ".join(f"'{step}'" for step in MATERIALISED_FUNNEL_STEPS)


def source_latest(client: DruidClient) -> dict[str, int] | None:
    """Epoch ms of the first step-1 event and of the latest step event, None before any."""
    [row] = client.sql(
        f'SELECT TIMESTAMP_TO_MILLIS(MIN("__time") FILTER (WHERE "eventType" = \'{MATERIALISED_FUNNEL_STEPS[0]}\')) '
        f'AS "first", TIMESTAMP_TO_MILLIS(MAX("__time")) AS "latest" FROM "{SOURCE}" '
        f'WHERE "eventType" IN ({_steps()})')
    if row["first"] is None:
        return None
    return {"first": int(row["first"]), "latest": int(row["latest"])}


def latest_materialised(client: DruidClient) -> dict[str, int] | None:
    """The latest day materialised and the latest step event its run had seen (epoch ms), None before any."""
    try:
        [row] = client.sql(f'SELECT TIMESTAMP_TO_MILLIS(MAX("__time")) AS "day", '
                           f'MAX("source_latest_ms") AS "seen" FROM "{DATASOURCE}"')
    except DruidError as error:
        if missing(error):
            return None
        raise
    if row["day"] is None:
        return None
    return {"day": int(row["day"]), "seen": int(row["seen"])}


def days_to_refresh(client: DruidClient) -> tuple[list[int], int | None]:
    """The first and last day (epoch ms) whose levels may have changed, and the latest step event now."""
    source = source_latest(client)
    if source is None:
        return [], None
    done = latest_materialised(client)
    start = source["first"] if done is None else min(done["seen"], done["day"] + DAY_MS) - DAY_MS
    first, last = start // DAY_MS * DAY_MS, source["latest"] // DAY_MS * DAY_MS
    return ([first, last] if first <= last else []), source["latest"]


def level_rows(client: DruidClient, day_ms: int, seen_ms: int) -> list[dict[str, Any]]:
    """Per visitor with a step-1 event that day: its two levels, stamped with the latest step event seen."""
    return [{**row, "source_latest_ms": seen_ms} for row in client.sql(funnel_levels_sql(day_ms))]


def index_spec(start_ms: int, end_ms: int, staging: Path, file_name: str) -> dict[str, Any]:
    """The native batch task that replaces [start_ms, end_ms) of ``signup_funnel`` with staging/file_name."""
    return fill_template(FUNNEL_INDEX_PATH, start_ms, end_ms, staging, file_name)


def materialise_funnel(client: DruidClient, staging: Path, progress: Progress = print) -> list[BatchResult]:
    """One run: every day from the one before the latest step event seen last time, oldest first."""
    days, seen = days_to_refresh(client)
    table = DayTable(DATASOURCE, lambda druid, day: level_rows(druid, day, seen or 0), index_spec,
                     served_rows='SUM("rows")')
    return replace_in_batches(client, table, days, staging, progress)
