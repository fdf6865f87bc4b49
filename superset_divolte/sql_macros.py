"""Jinja macros this add-on registers with Superset (``JINJA_CONTEXT_ADDONS``).

Dataset SQL calls them at query time, so one dataset serves every funnel an
analyst defines: the steps and the window are parameters, not copied SQL.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Callable, Sequence

from jinja2.exceptions import TemplateError

from superset_divolte.event_exclusion import exclusion_reason_sql, included_sql
from superset_divolte.event_store import EVENTS_TABLE
from superset_divolte.events import FUNNEL_STEPS

STEP_NAME = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")
WINDOW_TEXT = re.compile(r"^\s*(\d{1,6})\s*(minute|hour|day|week)s?\s*$", re.IGNORECASE)
MINUTES_PER = {"minute": 1, "hour": 60, "day": 1440, "week": 10_080}
MAX_WINDOW_MINUTES = 366 * 1440
ENGINES = ("duckdb", "druid")


class MacroArgumentError(ValueError, TemplateError):
    """A macro argument that cannot become SQL.

    A Jinja ``TemplateError``, so Superset answers the chart data request
    with its message as a JSON error (HTTP 400) instead of a server error.
    """

    def __init__(self, message: str) -> None:
        ValueError.__init__(self, message)
        TemplateError.__init__(self, message)


class FunnelDefinitionError(MacroArgumentError):
    """A funnel's steps or window cannot be turned into SQL."""


def _steps_from(steps: str | Sequence[str]) -> list[str]:
    names = [step.strip() for step in (steps.split(",") if isinstance(steps, str) else steps)]
    names = [name for name in names if name]
    if len(names) < 2:
        raise FunnelDefinitionError(f"a funnel needs at least two steps in order, got {names!r}: "
                                    "pick two or more event types in the dashboard's 'Funnel steps' filter")
    if len(names) > len(STEP_CODES):
        raise FunnelDefinitionError(f"a funnel has at most {len(STEP_CODES)} steps, got {len(names)}: "
                                    "pick fewer event types in the dashboard's 'Funnel steps' filter")
    for name in names:
        if not STEP_NAME.match(name):
            raise FunnelDefinitionError(
                f"funnel step {name!r} is not an event type (letters, digits, _ . : - only)")
    return names


def window_minutes_of(window: int | str) -> int:
    """Minutes of a conversion window given as minutes (1440, "1440") or text ("24 hours", "7 days")."""
    text = str(window).strip()
    match = WINDOW_TEXT.match(text)
    if text.isdigit():
        minutes = int(text)
    elif match:
        minutes = int(match.group(1)) * MINUTES_PER[match.group(2).lower()]
    else:
        raise FunnelDefinitionError(
            f"the funnel window {text!r} is not a duration: give minutes (1440) or a number with "
            "minutes, hours, days or weeks ('24 hours')")
    if not 1 <= minutes <= MAX_WINDOW_MINUTES:
        raise FunnelDefinitionError(f"the funnel window must be between 1 minute and 366 days, got {text!r}")
    return minutes


def _window_end(engine: str, start: str, minutes: int) -> str:
    if engine == "druid":
        return f"TIMESTAMPADD(MINUTE, {minutes}, {start})"
    return f"{start} + INTERVAL {minutes} MINUTE"


def _check_engine(engine: str, error: type[MacroArgumentError] = MacroArgumentError) -> None:
    """Raise ``error`` unless the macro was given one of ``ENGINES``."""
    if engine not in ENGINES:
        raise error(f"engine {engine!r} is not one of {ENGINES}")


def _epoch_ms(engine: str, column: str = '"__time"') -> str:
    return f"TIMESTAMP_TO_MILLIS({column})" if engine == "druid" else f"epoch_ms({column})"


def _is_step(name: str) -> str:
    return f"\"eventType\" = '{name}'"


def _listed(names: Sequence[str]) -> str:
    return ", ".join(f"'{name}'" for name in dict.fromkeys(names))


def _unnest(engine: str, array: str, alias: str, column: str) -> str:
    return f"CROSS JOIN UNNEST({array}) AS {alias}({column})" if engine == "druid" else \
        f"CROSS JOIN (SELECT UNNEST({array}) AS {column}) AS {alias}"


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


def _case_by_step(values: Sequence[str], column: str = "step_number", first: int = 1) -> str:
    return f"CASE {column} " + " ".join(f"WHEN {n} THEN {v}" for n, v in enumerate(values, start=first)) + " END"


def _window_bucket(engine: str, window_ms: int) -> str:
    """The number of an event's window-wide time bucket (a chain that starts in one ends in it or the next)."""
    # Whole buckets: Druid divides longs as integers, DuckDB's / would give a fraction.
    return f"{_epoch_ms(engine)} {'//' if engine == 'duckdb' else '/'} {window_ms}"


def _first_two_steps(engine: str, names: list[str], window_ms: int, in_range: str, table: str) -> str:
    """One row: the parties reaching step 1 and step 2, by nested group-bys alone.

    With buckets of the window's width, a step-2 event within the window after a step-1 event is in the
    same bucket or the next one. So each event is counted in its bucket's pair and in the previous
    bucket's pair (UNNEST of [0, 1]), and a pair holds a chain when its first bucket has a step 1 before a
    step 2, or the first step 2 of its second bucket is within the window of the last step 1 of its first.
    """
    first, second = _is_step(names[0]), _is_step(names[1])
    millis, bucket = _epoch_ms(engine), _window_bucket(engine, window_ms)
    pairs = (
        f'SELECT "partyId" AS party, {bucket} - shift AS pair, MAX(CASE WHEN {first} THEN 1 ELSE 0 END) AS has1, '
        f"MIN(CASE WHEN {first} AND shift = 0 THEN {millis} END) AS first1, "
        f"MAX(CASE WHEN {first} AND shift = 0 THEN {millis} END) AS last1, "
        f"MAX(CASE WHEN {second} AND shift = 0 THEN {millis} END) AS last2, "
        f"MIN(CASE WHEN {second} AND shift = 1 THEN {millis} END) AS next2 "
        f'FROM "{table}" {_unnest(engine, "ARRAY[0, 1]", "shifts", "shift")} '
        f"""WHERE "eventType" IN ({_listed(names[:2])}){in_range} AND {included_sql(engine)} """
        f'GROUP BY "partyId", {bucket} - shift')
    parties = (f"SELECT party, MAX(has1) AS reached1, "
               f"MAX(CASE WHEN first1 < last2 OR next2 - last1 <= {window_ms} THEN 1 ELSE 0 END) AS reached2 "
               f"FROM ({pairs}) AS pairs GROUP BY party")
    return f"SELECT SUM(reached1) AS reached1, SUM(reached2) AS reached2 FROM ({parties}) AS parties"


def _attempts_funnel(names: list[str], minutes: int, from_dttm: datetime | str | None,
                     to_dttm: datetime | str | None, table: str) -> str:
    """DuckDB, three or more steps: one row of ``reached1..k``. Every step-1 event starts an attempt; step k
    extends each attempt with its earliest qualifying event, which makes the deepest chain findable by joins.

    Joins are equalities on the party alone (the order and window rules are conditions inside the aggregate).
    Attempts that stall are carried to the last step with NULL times, so one aggregation counts every step.
    """
    engine, event_time = "duckdb", 'e."__time"'
    ctes = [f'attempts1 AS (SELECT "partyId" AS party, "__time" AS t1 FROM "{table}" '
            f"""WHERE "eventType" = '{names[0]}'{_time_filter(from_dttm, to_dttm)} AND {included_sql(engine)})"""]
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
            f"AND {included_sql(engine, 'e')} "
            f"GROUP BY p.party, {carried})")
    reached = ", ".join(f"COUNT(DISTINCT CASE WHEN t{number} IS NOT NULL THEN party END) AS reached{number}"
                        for number in range(1, len(names) + 1))
    return "WITH " + ",\n".join(ctes) + f"\nSELECT {reached} FROM attempts{len(names)}"


STEP_CODES = "abcdefghijklmnopqrstuvwxy"
"""A token's step letter: step 1 is ``a``. ``z`` marks where a step-1 event's window closes, and sorts after
every step letter, so a step at the very end of the window comes before its close."""
SEQUENCE_BYTES = 16_384
"""Room for one party's tokens over two windows; a party with more makes Druid answer with an error."""


def _padded_ms(millis: str) -> str:
    return f"LPAD(CAST({millis} AS VARCHAR), 13, '0')"


def _chain_pattern(steps: int) -> str:
    """A Java regex over a sorted token list: a step-1 token, then for each further step its earliest token
    strictly later than the previous step's, then that step-1 event's close token (still inside its window).

    Each step is an atomic group: the greedy chain from one start is the only one worth trying, so a failed
    start backtracks to the next start, not into other choices of later steps."""
    pattern = r",(\d{13})a,"
    for number in range(2, steps + 1):
        code = STEP_CODES[number - 1]
        later = rf"(?!\{number - 1})"
        pattern += rf"(?>(?:(?!{later}\d{{13}}{code},)[^,]*,)*{later}(\d{{13}}){code},)"
    return pattern + r"(?=.*z\1,)"


def _sequence_funnel(names: list[str], window_ms: int, in_range: str, table: str) -> str:
    """Druid, three or more steps: one row of ``reached1..k`` by nested group-bys alone, exact.

    Per party and pair of window-wide buckets (as in ``_first_two_steps``: a chain starting in a bucket ends
    in it or the next), Druid collects the party's step events as tokens (13-digit epoch ms and a step
    letter; a step-1 event adds its close, the window's end and its own time) into one ARRAY_AGG(DISTINCT),
    which Druid keeps sorted. A regex then finds a chain the way a person reads the sorted list
    (``_chain_pattern``). No join or window is planned, so the Broker holds no subquery results.
    """
    millis = _epoch_ms("druid")
    tokens = [f"CASE WHEN {_is_step(name)} THEN {_padded_ms(millis)} || '{code}' END"
              for name, code in zip(names, STEP_CODES)]
    tokens.append(f"CASE WHEN {_is_step(names[0])} THEN "
                  f"{_padded_ms(f'{millis} + {window_ms}')} || 'z' || {_padded_ms(millis)} END")
    # One UNNEST of every token in both pairs an event belongs to ('0' its bucket's, '1' the previous
    # one's): Druid plans a second UNNEST of a constant array as a join, whose side the Broker would hold.
    shifted = ", ".join(f"'{shift}' || {token}" for shift in (0, 1) for token in tokens)
    pair = f"{_window_bucket('druid', window_ms)} - CAST(SUBSTRING(token, 1, 1) AS BIGINT)"
    pairs = (
        f'SELECT "partyId" AS party, MAX(CASE WHEN {_is_step(names[0])} THEN 1 ELSE 0 END) AS has1, '
        f"',' || ARRAY_TO_STRING(ARRAY_AGG(DISTINCT SUBSTRING(token, 2), {SEQUENCE_BYTES}), ',') || ',' AS tokens "
        f'FROM "{table}" {_unnest("druid", f"ARRAY[{shifted}]", "steps", "token")} '
        f"""WHERE "eventType" IN ({_listed(names)}){in_range} AND {included_sql("druid")} AND token IS NOT NULL """
        f'GROUP BY "partyId", {pair}')
    reached = ", ".join(["MAX(has1) AS reached1"] + [
        f"MAX(CASE WHEN REGEXP_LIKE(tokens, '{_chain_pattern(number)}') THEN 1 ELSE 0 END) AS reached{number}"
        for number in range(2, len(names) + 1)])
    parties = f"SELECT party, {reached} FROM ({pairs}) AS pairs GROUP BY party"
    sums = ", ".join(f"SUM(reached{number}) AS reached{number}" for number in range(1, len(names) + 1))
    return f"SELECT {sums} FROM ({parties}) AS parties"


def _reached(engine: str, names: list[str], minutes: int, from_dttm: datetime | str | None,
             to_dttm: datetime | str | None, table: str) -> str:
    """One row: ``reached1..k``, the parties reaching each step, by the engine's exact method."""
    if engine == "druid" and table == EVENTS_TABLE and reads_materialised_funnel(names, minutes, from_dttm, to_dttm):
        return _materialised_funnel(len(names), from_dttm, to_dttm)
    in_range = _time_filter(from_dttm, to_dttm)
    if len(names) == 2:
        return _first_two_steps(engine, names, minutes * 60_000, in_range, table)
    if engine == "druid":
        return _sequence_funnel(names, minutes * 60_000, in_range, table)
    return _attempts_funnel(names, minutes, from_dttm, to_dttm, table)


MATERIALISED_FUNNEL_STEPS = FUNNEL_STEPS
"""The funnel whose per-day levels ``druid.funnel`` materialises on Druid: the site's signup funnel."""
MATERIALISED_FUNNEL_MINUTES = 1440
"""Its window: one day, so an attempt starting on a UTC day ends on that day or the next."""
MATERIALISED_FUNNEL_TABLE = "signup_funnel"
FUNNEL_SKETCH_SIZE = 65_536
"""Theta sketch entries: a count is exact up to this many visitors, then within 3/sqrt(65,536) = 1.2 %
(99.7 % of the time); docs/metrics.md."""
DAY_MS = 86_400_000


def _whole_day(value: datetime | str | None) -> bool:
    moment = _as_datetime(value)
    return moment is None or (moment.hour, moment.minute, moment.second, moment.microsecond) == (0, 0, 0, 0)


def reads_materialised_funnel(names: Sequence[str], minutes: int, from_dttm: datetime | str | None,
                              to_dttm: datetime | str | None) -> bool:
    """True when the materialised levels answer this funnel exactly: the signup funnel over whole UTC days."""
    return (tuple(names) == MATERIALISED_FUNNEL_STEPS and minutes == MATERIALISED_FUNNEL_MINUTES
            and _whole_day(from_dttm) and _whole_day(to_dttm))


def funnel_levels_sql(day_ms: int, names: Sequence[str] = MATERIALISED_FUNNEL_STEPS,
                      table: str = EVENTS_TABLE) -> str:
    """Druid, for ``druid.funnel``: per party with a step-1 event on the UTC day starting at ``day_ms``, the
    deepest step of its attempts that start that day (``level_full``, events of that day and the next) and
    the same with the next day's events left out (``level_clipped``, what a range ending that night counts).

    A window of one day keeps every attempt inside its day and the next; the tokens and the pattern are
    ``_sequence_funnel``'s, with the next day's step-1 events left out (their attempts belong to that day)."""
    window_ms, next_day, millis = MATERIALISED_FUNNEL_MINUTES * 60_000, day_ms + DAY_MS, _epoch_ms("druid")
    today = f"{millis} < {next_day}"
    tokens = [f"CASE WHEN {_is_step(name)}{f' AND {today}' if number == 0 else ''} THEN "
              f"{_padded_ms(millis)} || '{code}' END"
              for number, (name, code) in enumerate(zip(names, STEP_CODES))]
    tokens.append(f"CASE WHEN {_is_step(names[0])} AND {today} THEN "
                  f"{_padded_ms(f'{millis} + {window_ms}')} || 'z' || {_padded_ms(millis)} END")
    listed = f"ARRAY_AGG(DISTINCT token, {SEQUENCE_BYTES})"
    unnested = _unnest("druid", "ARRAY[" + ", ".join(tokens) + "]", "steps", "token")
    lists = (f"""SELECT "partyId", ',' || ARRAY_TO_STRING({listed}, ',') || ',' AS all_tokens, """
             f"',' || ARRAY_TO_STRING({listed} FILTER (WHERE {today}), ',') || ',' AS day_tokens "
             f'FROM "{table}" {unnested} '
             f"""WHERE "eventType" IN ({_listed(names)}) AND {millis} >= {day_ms} AND {millis} < {next_day + DAY_MS} """
             f"AND {included_sql('druid')} AND token IS NOT NULL "
             f'GROUP BY "partyId" HAVING MAX(CASE WHEN {_is_step(names[0])} AND {today} THEN 1 ELSE 0 END) = 1')

    def level(tokens_column: str) -> str:
        deepest = " ".join(f"WHEN REGEXP_LIKE({tokens_column}, '{_chain_pattern(number)}') THEN {number}"
                           for number in range(len(names), 1, -1))
        return f"CASE {deepest} ELSE 1 END"
    return (f'SELECT "partyId", {day_ms} AS "day_ms", {level("all_tokens")} AS "level_full", '
            f'{level("day_tokens")} AS "level_clipped" FROM ({lists}) AS lists')


def _materialised_funnel(steps: int, from_dttm: datetime | str | None, to_dttm: datetime | str | None) -> str:
    """Druid, the signup funnel over whole days: one row of ``reached1..k`` from the materialised levels.

    A party reaches step k when one of the range's days holds an attempt that deep; on the range's last day
    only that day's events count (``level_clipped``), since the range ends before the next. Each step's
    parties are one theta sketch union over the rows, a timeseries query of a few rows per day."""
    last_day = _as_datetime(to_dttm)
    in_range = _time_filter(from_dttm, to_dttm).removeprefix(" AND ") or "TRUE"

    def deep(number: int) -> str:
        if last_day is None:
            return f'"level_full" >= {number}'
        cut = f"TIMESTAMP '{last_day - timedelta(days=1):%Y-%m-%d %H:%M:%S}'"
        return (f'("__time" < {cut} AND "level_full" >= {number}) OR '
                f'("__time" >= {cut} AND "level_clipped" >= {number})')
    reached = ", ".join(
        f'APPROX_COUNT_DISTINCT_DS_THETA("parties", {FUNNEL_SKETCH_SIZE}) FILTER (WHERE {deep(number)}) '
        f"AS reached{number}" for number in range(1, steps + 1))
    return f'SELECT {reached} FROM "{MATERIALISED_FUNNEL_TABLE}" WHERE {in_range}'


def funnel_sql(engine: str, steps: str | Sequence[str], window_minutes: int | str = 1440,
               from_dttm: datetime | str | None = None, to_dttm: datetime | str | None = None,
               table: str = EVENTS_TABLE) -> str:
    """SQL for an ordered funnel: one row per step with the parties that reached it.

    A party reaches step k when, after one of its step-1 events, steps 2..k
    follow in order (each strictly later than the one before) and all within
    ``window_minutes`` of that step-1 event. Columns: ``step_number``, ``step``,
    ``parties``, ``conversion_from_start``, ``conversion_from_previous``.

    On Druid every funnel is counted by nested group-bys alone (two steps:
    ``_first_two_steps``; more: ``_sequence_funnel``), so the Broker holds no
    per-party subquery rows at any size. DuckDB counts two steps the same way
    and more by joining attempts (``_attempts_funnel``).
    """
    _check_engine(engine, FunnelDefinitionError)
    names = _steps_from(steps)
    minutes = window_minutes_of(window_minutes)
    last = len(names)
    parties = _case_by_step([f"COALESCE(reached{number}, 0)" for number in range(1, last + 1)])
    previous = _case_by_step([f"COALESCE(reached{max(number - 1, 1)}, 0)" for number in range(1, last + 1)])
    step = _case_by_step([f"'{name}'" for name in names])
    numbers = ", ".join(str(number) for number in range(1, last + 1))
    return (
        f"WITH reached AS ({_reached(engine, names, minutes, from_dttm, to_dttm, table)})\n"
        f"SELECT step_number, {step} AS step, {parties} AS parties,\n"
        f"  CAST({parties} AS DOUBLE) / NULLIF(COALESCE(reached1, 0), 0) AS conversion_from_start,\n"
        f"  CAST({parties} AS DOUBLE) / NULLIF({previous}, 0) AS conversion_from_previous\n"
        f"FROM reached CROSS JOIN UNNEST(ARRAY[{numbers}]) AS steps(step_number)"
    )


WEEK_MS = 7 * 86_400_000
FIRST_MONDAY_MS = 4 * 86_400_000
"""1970-01-05, the first Monday after the epoch: week numbers count ISO weeks (Monday to Sunday, UTC) from it."""
DEFAULT_RETENTION_WEEKS = 12


class RetentionDefinitionError(MacroArgumentError):
    """A retention table's number of weeks cannot be turned into SQL."""


def _week_number(engine: str, column: str = '"__time"') -> str:
    if engine == "druid":
        return f"(TIMESTAMP_TO_MILLIS({column}) - {FIRST_MONDAY_MS}) / {WEEK_MS}"
    return f"((epoch_ms({column}) - {FIRST_MONDAY_MS}) // {WEEK_MS})"


def _week_start(engine: str, number: str) -> str:
    millis = f"{number} * {WEEK_MS} + {FIRST_MONDAY_MS}"
    return f"MILLIS_TO_TIMESTAMP({millis})" if engine == "druid" else f"epoch_ms(CAST({millis} AS BIGINT))"


def _weeks_contain(engine: str, weeks: str, number: str) -> str:
    return f"ARRAY_CONTAINS({weeks}, {number})" if engine == "druid" else f"list_contains({weeks}, {number})"


def retention_sql(engine: str, weeks: int | str = DEFAULT_RETENTION_WEEKS, table: str = EVENTS_TABLE) -> str:
    """SQL for weekly retention cohorts: one row per cohort and week since the first visit.

    A visitor's cohort is the ISO week (Monday, UTC) of their first event; they
    are retained in week k when they have any event in the k-th week after it.
    Rows run from week 0 (every visitor of the cohort) to ``weeks``, and only
    up to the newest cohort's week: a later week has not happened yet for any
    cohort, so it is left out rather than shown as 0. Columns: ``cohort_week``,
    ``weeks_since_first_visit``, ``visitors``, ``cohort_visitors``, ``retention``.

    No join on the raw events (Druid plans none well at this size): one group
    by visitor collects their first week and the set of weeks they were seen;
    one group by cohort counts, per week offset, the visitors whose set holds
    it; UNNEST turns that row into a row per offset, as the funnel does.
    """
    _check_engine(engine, RetentionDefinitionError)
    try:
        horizon = int(weeks)
    except (TypeError, ValueError):
        raise RetentionDefinitionError(f"retention weeks must be a whole number, got {weeks!r}") from None
    if not 1 <= horizon <= 52:
        raise RetentionDefinitionError(f"retention weeks must be between 1 and 52, got {horizon}")
    week = _week_number(engine)
    seen = (f"ARRAY_AGG(DISTINCT {week}, 8192)" if engine == "druid" else f"list(DISTINCT {week})")
    offsets = range(horizon + 1)
    returned = ", ".join(
        f"SUM(CASE WHEN {_weeks_contain(engine, 'weeks', f'first_week + {k}')} THEN 1 ELSE 0 END) AS returned{k}"
        for k in offsets)
    visitors = _case_by_step([f"returned{k}" for k in offsets], "weeks_since_first_visit", first=0)
    numbers = ", ".join(str(k) for k in offsets)
    return (
        f'WITH visitors AS (SELECT "partyId" AS party, MIN({week}) AS first_week, {seen} AS weeks '
        f'FROM "{table}" WHERE {included_sql(engine)} GROUP BY "partyId"),\n'
        f"cohorts AS (SELECT first_week, COUNT(*) AS cohort_visitors, {returned}, "
        f"MAX(first_week) OVER () AS newest_week FROM visitors GROUP BY first_week)\n"
        f"SELECT {_week_start(engine, 'first_week')} AS cohort_week, weeks_since_first_visit,\n"
        f"  {visitors} AS visitors, cohort_visitors,\n"
        f"  CAST({visitors} AS DOUBLE) / cohort_visitors AS retention\n"
        f"FROM cohorts CROSS JOIN UNNEST(ARRAY[{numbers}]) AS offsets(weeks_since_first_visit)\n"
        f"WHERE first_week + weeks_since_first_visit <= newest_week"
    )


def included_events_sql(engine: str, alias: str = "") -> str:
    """The predicate of the events every dataset counts (``event_exclusion``), for ``engine``."""
    _check_engine(engine)
    return included_sql(engine, alias)


def exclusion_reason_of(engine: str, alias: str = "") -> str:
    """Why an event is left out ('corrupt', 'duplicate', 'bot'; NULL when included), for ``engine``."""
    _check_engine(engine)
    return exclusion_reason_sql(engine, alias)


JINJA_MACROS: dict[str, Callable[..., str]] = {"divolte_funnel": funnel_sql, "divolte_retention": retention_sql,
                                               "divolte_included": included_events_sql,
                                               "divolte_exclusion_reason": exclusion_reason_of}
"""Macros by the name dataset SQL calls them with."""
