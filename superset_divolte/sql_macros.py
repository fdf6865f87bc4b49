"""Jinja macros this add-on registers with Superset (``JINJA_CONTEXT_ADDONS``).

Dataset SQL calls them at query time, so one dataset serves every funnel an
analyst defines: the steps and the window are parameters, not copied SQL.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Callable, Sequence

from superset_divolte.event_store import EVENTS_TABLE

STEP_NAME = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")
ENGINES = ("duckdb", "druid")


class FunnelDefinitionError(ValueError):
    """A funnel's steps or window cannot be turned into SQL."""


def _steps_from(steps: str | Sequence[str]) -> list[str]:
    names = [step.strip() for step in (steps.split(",") if isinstance(steps, str) else steps)]
    names = [name for name in names if name]
    if len(names) < 2:
        raise FunnelDefinitionError(f"a funnel needs at least two steps, got {names!r}")
    for name in names:
        if not STEP_NAME.match(name):
            raise FunnelDefinitionError(
                f"funnel step {name!r} is not an event type (letters, digits, _ . : - only)")
    return names


def _window_end(engine: str, start: str, minutes: int) -> str:
    if engine == "druid":
        return f"TIMESTAMPADD(MINUTE, {minutes}, {start})"
    return f"{start} + INTERVAL {minutes} MINUTE"


def _as_datetime(value: datetime | str | None) -> datetime | None:
    # Superset hands dataset Jinja the chart's time range as ISO text.
    if isinstance(value, str):
        return datetime.fromisoformat(value[:19]) if value else None
    return value


def _time_filter(from_dttm: datetime | str | None, to_dttm: datetime | str | None) -> str:
    from_dttm, to_dttm = _as_datetime(from_dttm), _as_datetime(to_dttm)
    bounds = []
    if from_dttm is not None:
        bounds.append(f"\"__time\" >= TIMESTAMP '{from_dttm:%Y-%m-%d %H:%M:%S}'")
    if to_dttm is not None:
        bounds.append(f"\"__time\" < TIMESTAMP '{to_dttm:%Y-%m-%d %H:%M:%S}'")
    return "".join(f" AND {bound}" for bound in bounds)


def funnel_sql(engine: str, steps: str | Sequence[str], window_minutes: int | str = 1440,
               from_dttm: datetime | str | None = None, to_dttm: datetime | str | None = None,
               table: str = EVENTS_TABLE) -> str:
    """SQL for an ordered funnel: one row per step with the parties that reached it.

    A party reaches step k when, after one of its step-1 events, steps 2..k
    follow in order (each strictly later than the one before) and all within
    ``window_minutes`` of that step-1 event. Each step keeps the earliest
    qualifying event, which is what makes the deepest chain findable by joins.
    Columns: ``step_number``, ``step``, ``parties``, ``conversion_from_start``,
    ``conversion_from_previous``.
    """
    if engine not in ENGINES:
        raise FunnelDefinitionError(f"engine {engine!r} is not one of {ENGINES}")
    names = _steps_from(steps)
    minutes = int(window_minutes)
    if minutes <= 0:
        raise FunnelDefinitionError(f"the funnel window must be positive, got {minutes} minutes")
    step_list = ", ".join(f"'{name}'" for name in names)
    ctes = [
        f'step_events AS (SELECT "partyId" AS party, "eventType" AS step, "__time" AS t FROM "{table}" '
        f'WHERE "eventType" IN ({step_list}){_time_filter(from_dttm, to_dttm)})',
        f"s1 AS (SELECT party, t AS t_start, t AS t_last FROM step_events WHERE step = '{names[0]}')",
    ]
    for number, name in enumerate(names[1:], start=2):
        ctes.append(
            f"s{number} AS (SELECT p.party, p.t_start, MIN(e.t) AS t_last FROM s{number - 1} p "
            f"JOIN step_events e ON e.party = p.party WHERE e.step = '{name}' AND e.t > p.t_last "
            f"AND e.t <= {_window_end(engine, 'p.t_start', minutes)} GROUP BY p.party, p.t_start)")
    counts = " UNION ALL ".join(
        f"SELECT {number} AS step_number, '{name}' AS step, COUNT(DISTINCT party) AS parties FROM s{number}"
        for number, name in enumerate(names, start=1))
    ctes.append(f"reached AS ({counts})")
    return (
        "WITH " + ",\n".join(ctes) + "\n"
        "SELECT step_number, step, parties,\n"
        "  CAST(parties AS DOUBLE) / NULLIF(FIRST_VALUE(parties) OVER (ORDER BY step_number), 0)"
        " AS conversion_from_start,\n"
        "  CAST(parties AS DOUBLE) / NULLIF(LAG(parties, 1, parties) OVER (ORDER BY step_number), 0)"
        " AS conversion_from_previous\n"
        "FROM reached"
    )


JINJA_MACROS: dict[str, Callable[..., str]] = {"divolte_funnel": funnel_sql}
"""Macros by the name dataset SQL calls them with."""
