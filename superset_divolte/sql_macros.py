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


def _time_filter(from_dttm: datetime | str | None, to_dttm: datetime | str | None,
                 column: str = '"__time"') -> str:
    from_dttm, to_dttm = _as_datetime(from_dttm), _as_datetime(to_dttm)
    bounds = []
    if from_dttm is not None:
        bounds.append(f"{column} >= TIMESTAMP '{from_dttm:%Y-%m-%d %H:%M:%S}'")
    if to_dttm is not None:
        bounds.append(f"{column} < TIMESTAMP '{to_dttm:%Y-%m-%d %H:%M:%S}'")
    return "".join(f" AND {bound}" for bound in bounds)


def _case_by_step(values: Sequence[str]) -> str:
    return "CASE step_number " + " ".join(f"WHEN {n} THEN {v}" for n, v in enumerate(values, start=1)) + " END"


def funnel_sql(engine: str, steps: str | Sequence[str], window_minutes: int | str = 1440,
               from_dttm: datetime | str | None = None, to_dttm: datetime | str | None = None,
               table: str = EVENTS_TABLE) -> str:
    """SQL for an ordered funnel: one row per step with the parties that reached it.

    A party reaches step k when, after one of its step-1 events, steps 2..k
    follow in order (each strictly later than the one before) and all within
    ``window_minutes`` of that step-1 event. Every step-1 event starts an
    attempt; step k extends each attempt with its earliest qualifying event,
    which is what makes the deepest chain findable by joins. Columns:
    ``step_number``, ``step``, ``parties``, ``conversion_from_start``,
    ``conversion_from_previous``.

    The same shape runs on both engines, within what Druid 33 plans and
    answers correctly: joins are equalities on the party alone (the order and
    window rules are conditions inside the aggregate, as Druid plans no join on
    a time comparison); the events table is always the left side of a join (a
    grouped subquery there gives Druid's nested group-by no rows); and no
    UNION, which Druid runs only at the top level, where Superset's own query
    never leaves a dataset's SQL. Attempts that stall are carried to the last
    step with NULL times, so one aggregation counts every step, and UNNEST
    turns that row into a row per step.
    """
    if engine not in ENGINES:
        raise FunnelDefinitionError(f"engine {engine!r} is not one of {ENGINES}")
    names = _steps_from(steps)
    minutes = int(window_minutes)
    if minutes <= 0:
        raise FunnelDefinitionError(f"the funnel window must be positive, got {minutes} minutes")
    event_time = 'e."__time"'
    ctes = [f'attempts1 AS (SELECT "partyId" AS party, "__time" AS t1 FROM "{table}" '
            f"""WHERE "eventType" = '{names[0]}'{_time_filter(from_dttm, to_dttm)})"""]
    for number, name in enumerate(names[1:], start=2):
        carried = ", ".join(f"p.t{earlier}" for earlier in range(1, number))
        qualifies = (f"""e."eventType" = '{name}' AND {event_time} > p.t{number - 1} """
                     f"AND {event_time} <= {_window_end(engine, 'p.t1', minutes)}")
        # The party's step-1 events join too: an attempt always meets its own start, so none is lost.
        ctes.append(
            f"attempts{number} AS (SELECT p.party, {carried}, "
            f"MIN(CASE WHEN {qualifies} THEN {event_time} END) AS t{number} "
            f'FROM "{table}" e JOIN attempts{number - 1} p ON p.party = e."partyId" '
            f"""WHERE e."eventType" IN ('{names[0]}', '{name}'){_time_filter(from_dttm, to_dttm, event_time)} """
            f"GROUP BY p.party, {carried})")
    last = len(names)
    reached = ", ".join(f"COUNT(DISTINCT CASE WHEN t{number} IS NOT NULL THEN party END) AS reached{number}"
                        for number in range(1, last + 1))
    ctes.append(f"reached AS (SELECT {reached} FROM attempts{last})")
    parties = _case_by_step([f"reached{number}" for number in range(1, last + 1)])
    previous = _case_by_step([f"reached{max(number - 1, 1)}" for number in range(1, last + 1)])
    step = _case_by_step([f"'{name}'" for name in names])
    numbers = ", ".join(str(number) for number in range(1, last + 1))
    return (
        "WITH " + ",\n".join(ctes) + "\n"
        f"SELECT step_number, {step} AS step, {parties} AS parties,\n"
        f"  CAST({parties} AS DOUBLE) / NULLIF(reached1, 0) AS conversion_from_start,\n"
        f"  CAST({parties} AS DOUBLE) / NULLIF({previous}, 0) AS conversion_from_previous\n"
        f"FROM reached CROSS JOIN UNNEST(ARRAY[{numbers}]) AS steps(step_number)"
    )


JINJA_MACROS: dict[str, Callable[..., str]] = {"divolte_funnel": funnel_sql}
"""Macros by the name dataset SQL calls them with."""
