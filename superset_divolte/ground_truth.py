"""Ground truth: the exact numbers a clickstream should show, computed in Python.

Nothing here runs SQL, so tests can hold the SQL of datasets and charts (on
DuckDB or Druid) against an independent count of the same events. Every metric
counts the included events only (``event_exclusion``); ``rows`` is every event
written and ``excluded_events`` the others, by reason.
"""

from __future__ import annotations

import itertools
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timezone
from operator import itemgetter
from typing import Any, Iterable, Sequence

import numpy as np

from superset_divolte.event_exclusion import EXCLUSION_REASONS, REASON_NAMES, exclusion_reason, row_exclusion_reason
from superset_divolte.events import CONVERSION_EVENT, FUNNEL_STEPS

DEFAULT_FUNNEL_WINDOW_MS = 24 * 3_600_000
DURATION_BUCKETS = ((0, "0 s"), (10, "1-10 s"), (30, "10-30 s"), (60, "30-60 s"), (180, "1-3 min"),
                    (600, "3-10 min"), (1800, "10-30 min"), (None, "30+ min"))
"""Upper bounds (exclusive, seconds) and labels of session duration buckets."""


def utc_day(epoch_millis: int) -> str:
    """The UTC calendar day of an epoch-millisecond time, as YYYY-MM-DD."""
    return datetime.fromtimestamp(epoch_millis / 1000, timezone.utc).strftime("%Y-%m-%d")


def duration_bucket(seconds: float) -> str:
    """The label of the duration bucket a session of ``seconds`` falls in."""
    for upper, label in DURATION_BUCKETS:
        if upper is None or seconds < upper or (upper == 0 and seconds == 0):
            return label
    raise AssertionError("unreachable: the last bucket is open")


@dataclass
class SessionFacts:
    """What one session did, from its events."""

    party_id: str
    start_ms: int
    end_ms: int
    page_views: int = 0
    landing_page: str | None = None
    exit_page: str | None = None
    converted: bool = False
    referrer_host: str | None = None
    campaign: str | None = None
    device: str | None = None
    browser: str | None = None
    paths: list[str] = field(default_factory=list)
    """Paths of the session's page views, in time order."""

    @property
    def duration_ms(self) -> int:
        """Milliseconds from the first to the last event."""
        return self.end_ms - self.start_ms

    @property
    def duration_s(self) -> float:
        """Seconds from the first to the last event."""
        return self.duration_ms / 1000

    @property
    def bounced(self) -> bool:
        """A session with a single page view."""
        return self.page_views == 1


def sessions_of(records: Iterable[dict[str, Any]]) -> dict[str, SessionFacts]:
    """Facts per session id, from records in any order."""
    ordered = sorted(records, key=lambda r: r["timestamp"])
    sessions: dict[str, SessionFacts] = {}
    for record in ordered:
        facts = sessions.get(record["sessionId"])
        if facts is None:
            # The session's first event decides where it came from and on what.
            facts = sessions[record["sessionId"]] = SessionFacts(
                record["partyId"], record["timestamp"], record["timestamp"],
                referrer_host=record["refererHost"], campaign=record["utmCampaign"],
                device=record["userAgentDeviceCategory"], browser=record["userAgentName"])
        facts.end_ms = record["timestamp"]
        facts.exit_page = record["locationPath"]
        if record["eventType"] == "pageView":
            facts.page_views += 1
            facts.landing_page = facts.landing_page or record["locationPath"]
            facts.paths.append(record["locationPath"])
        if record["eventType"] == CONVERSION_EVENT:
            facts.converted = True
    return sessions


def funnel_counts(records: Iterable[dict[str, Any]], steps: Sequence[str] = FUNNEL_STEPS,
                  window_ms: int = DEFAULT_FUNNEL_WINDOW_MS) -> list[int]:
    """Parties reaching each step in order, within ``window_ms`` of their first step.

    A step counts only if it comes strictly after the previous step of the same
    chain, and no later than the window after the chain's first step; each party
    counts once, at the deepest step of its best chain.
    """
    times: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
    for record in records:
        if record["eventType"] in steps:
            times[record["partyId"]][record["eventType"]].append(record["timestamp"])
    reached = [0] * len(steps)
    for by_step in times.values():
        for level in range(_deepest_level(by_step, steps, window_ms)):
            reached[level] += 1
    return reached


def _deepest_level(by_step: dict[str, list[int]], steps: Sequence[str], window_ms: int) -> int:
    best = 0
    for start in by_step.get(steps[0], ()):
        level, previous = 1, start
        for step in steps[1:]:
            later = [t for t in by_step.get(step, ()) if previous < t <= start + window_ms]
            if not later:
                break
            level, previous = level + 1, min(later)
        best = max(best, level)
    return best


def experiment_counts(records: Iterable[dict[str, Any]]) -> dict[str, dict[str, dict[str, dict[str, int]]]]:
    """Per experiment, variant and unit (visitors, sessions): exposed and converted units.

    A unit is exposed when any of its events carries the experiment, and
    converted when one of those events is the conversion event.
    """
    exposed: dict[tuple[str, str, str], set[str]] = defaultdict(set)
    converted: dict[tuple[str, str, str], set[str]] = defaultdict(set)
    for record in records:
        if not record["experiment"]:
            continue
        for unit, key in (("visitors", record["partyId"]), ("sessions", record["sessionId"])):
            cell = (record["experiment"], record["variant"], unit)
            exposed[cell].add(key)
            if record["eventType"] == CONVERSION_EVENT:
                converted[cell].add(key)
    result: dict[str, dict[str, dict[str, dict[str, int]]]] = {}
    for (experiment, variant, unit), keys in sorted(exposed.items()):
        result.setdefault(experiment, {}).setdefault(variant, {})[unit] = {
            "exposed": len(keys), "converted": len(converted[(experiment, variant, unit)])}
    return result


DIRECT = "(direct)"
"""Referrer host of sessions that came without a referrer."""
NO_CAMPAIGN = "(none)"
"""Campaign of sessions whose landing URL has no utm_campaign."""
ENTRANCE = "(entrance)"
"""The 'previous page' of a session's first page view."""


def screen_size(record: dict[str, Any]) -> str:
    """Screen size as the dashboards label it: width x height in pixels."""
    return f"{record['screenPixelWidth']} x {record['screenPixelHeight']}"


def in_range(records: Iterable[dict[str, Any]], start_ms: int | None, end_ms: int | None) -> list[dict[str, Any]]:
    """The records with ``start_ms <= timestamp < end_ms`` (None: unbounded), as Superset's time range filters."""
    return [r for r in records
            if (start_ms is None or r["timestamp"] >= start_ms) and (end_ms is None or r["timestamp"] < end_ms)]


def sessions_starting(sessions: dict[str, SessionFacts], start_ms: int | None,
                      end_ms: int | None) -> dict[str, SessionFacts]:
    """The sessions whose first event lies in ``[start_ms, end_ms)``: what a time range on session start keeps."""
    return {key: facts for key, facts in sessions.items()
            if (start_ms is None or facts.start_ms >= start_ms) and (end_ms is None or facts.start_ms < end_ms)}


def distinct_by(records: Iterable[dict[str, Any]], key: Any, unit: str = "partyId") -> dict[str, int]:
    """Distinct ``unit`` values (visitors by default) per ``key(record)``."""
    units: dict[str, set[str]] = defaultdict(set)
    for record in records:
        units[key(record)].add(record[unit])
    return {name: len(values) for name, values in units.items()}


def page_transitions(sessions: Iterable[SessionFacts]) -> dict[str, dict[str, int]]:
    """Page views per previous page (``ENTRANCE`` for a session's first) and page, from session order."""
    flows: dict[str, Counter[str]] = defaultdict(Counter)
    for facts in sessions:
        previous = ENTRANCE
        for path in facts.paths:
            flows[previous][path] += 1
            previous = path
    return {source: dict(targets) for source, targets in sorted(flows.items())}


def total_duration_s(sessions: Iterable[SessionFacts]) -> float:
    """Summed session durations in seconds, added up in whole milliseconds so any order gives the same sum."""
    return sum(facts.duration_ms for facts in sessions) / 1000


def session_summary(sessions: Iterable[SessionFacts]) -> dict[str, Any]:
    """Session counts, bounces, conversions, durations and breakdowns of a set of sessions."""
    facts = list(sessions)
    durations = [f.duration_s for f in facts]
    return {
        "sessions": len(facts),
        "bounced_sessions": sum(1 for f in facts if f.bounced),
        "converted_sessions": sum(1 for f in facts if f.converted),
        "total_session_duration_s": total_duration_s(facts),
        "session_duration_buckets": dict(Counter(duration_bucket(d) for d in durations)),
        "landing_pages": dict(Counter(f.landing_page for f in facts if f.landing_page)),
        "exit_pages": dict(Counter(f.exit_page for f in facts)),
        "sessions_by_referrer_host": dict(Counter(f.referrer_host or DIRECT for f in facts)),
        "sessions_by_campaign": dict(Counter(f.campaign or NO_CAMPAIGN for f in facts)),
        "sessions_by_day": dict(sorted(Counter(utc_day(f.start_ms) for f in facts).items())),
        "bounced_sessions_by_day": dict(sorted(Counter(utc_day(f.start_ms) for f in facts if f.bounced).items())),
        "page_views_by_landing_page": dict(Counter(f.landing_page for f in facts for _ in range(f.page_views)
                                                   if f.landing_page)),
        "bounced_by_landing_page": dict(Counter(f.landing_page for f in facts if f.bounced and f.landing_page)),
    }


def experiment_cohorts(records: Iterable[dict[str, Any]]) -> dict[str, dict[str, dict[str, dict[str, dict[str, int]]]]]:
    """Per experiment, variant, unit and UTC day of the unit's first exposure: exposed and converted units.

    The same units as ``experiment_counts``, each counted once, on the day it
    was first exposed; summed over the days they give ``experiment_counts``.
    """
    first: dict[tuple[str, str, str, str], int] = {}
    converted: set[tuple[str, str, str, str]] = set()
    for record in sorted(records, key=lambda r: r["timestamp"]):
        if not record["experiment"]:
            continue
        for unit, key in (("visitors", record["partyId"]), ("sessions", record["sessionId"])):
            cell = (record["experiment"], record["variant"], unit, key)
            first.setdefault(cell, record["timestamp"])
            if record["eventType"] == CONVERSION_EVENT:
                converted.add(cell)
    result: dict[str, dict[str, dict[str, dict[str, dict[str, int]]]]] = {}
    for cell, moment in sorted(first.items()):
        experiment, variant, unit, _ = cell
        day = result.setdefault(experiment, {}).setdefault(variant, {}).setdefault(unit, {}).setdefault(
            utc_day(moment), {"exposed": 0, "converted": 0})
        day["exposed"] += 1
        day["converted"] += cell in converted
    return result


def excluded_counts(reasons: Counter[str | None]) -> dict[str, int]:
    """Excluded events per reason, every reason named (0 where none)."""
    return {name: reasons[name] for name in REASON_NAMES}


def compute(written: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Every number the dashboards show, counted straight from the records (the included ones)."""
    why = [exclusion_reason(record) for record in written]
    reasons = Counter(why)
    records = [record for record, reason in zip(written, why) if reason is None]
    sessions = sessions_of(records)
    durations = [facts.duration_s for facts in sessions.values()]
    return {
        "rows": len(written),
        "excluded_events": excluded_counts(reasons),
        "events": len(records),
        "page_views": sum(1 for r in records if r["eventType"] == "pageView"),
        "visitors": len({r["partyId"] for r in records}),
        "sessions": len(sessions),
        "new_sessions": sum(1 for r in records if r["firstInSession"]),
        "events_by_type": dict(Counter(r["eventType"] for r in records)),
        "clicks_by_technology": dict(Counter(r["technology"] for r in records if r["technology"])),
        "events_by_day": dict(sorted(Counter(utc_day(r["timestamp"]) for r in records).items())),
        "page_views_by_day": dict(sorted(Counter(
            utc_day(r["timestamp"]) for r in records if r["eventType"] == "pageView").items())),
        "bounced_sessions": sum(1 for facts in sessions.values() if facts.bounced),
        "converted_sessions": sum(1 for facts in sessions.values() if facts.converted),
        "total_session_duration_s": total_duration_s(sessions.values()),
        "session_duration_buckets": dict(Counter(duration_bucket(d) for d in durations)),
        "landing_pages": dict(Counter(f.landing_page for f in sessions.values() if f.landing_page)),
        "exit_pages": dict(Counter(f.exit_page for f in sessions.values())),
        "funnel": {"steps": list(FUNNEL_STEPS), "window_ms": DEFAULT_FUNNEL_WINDOW_MS,
                   "parties": funnel_counts(records)},
        "experiments": experiment_counts(records),
        "experiment_cohorts_by_day": experiment_cohorts(records),
        "visitors_by_day": dict(sorted(distinct_by(records, lambda r: utc_day(r["timestamp"])).items())),
        "visitors_by_device": distinct_by(records, lambda r: r["userAgentDeviceCategory"]),
        "visitors_by_browser": distinct_by(records, lambda r: r["userAgentName"]),
        "visitors_by_os": distinct_by(records, lambda r: r["userAgentOsFamily"]),
        "visitors_by_screen_size": distinct_by(records, screen_size),
        "page_views_by_page": dict(Counter(r["locationPath"] for r in records if r["eventType"] == "pageView")),
        "page_transitions": page_transitions(sessions.values()),
        **{key: value for key, value in session_summary(sessions.values()).items()
           if key not in ("sessions", "bounced_sessions", "converted_sessions", "total_session_duration_s",
                          "session_duration_buckets", "landing_pages", "exit_pages")},
    }


class CompactKeys:
    """64-bit keys, each with a small int: sorted NumPy arrays, plus a dict of the keys added lately.

    Distinct parties of a 100M-event stream are millions; as Python ints in a set
    or dict they would take about 100 bytes each, here 16.
    """

    RECENT = 65_536
    """Keys gathered in the dict before they are merged into the arrays."""

    def __init__(self) -> None:
        self.keys = np.empty(0, dtype=np.int64)
        self.values = np.empty(0, dtype=np.int64)
        self.recent: dict[int, int] = {}

    def __len__(self) -> int:
        return len(self.keys) + len(self.recent)

    def _index(self, key: int) -> int:
        index = int(np.searchsorted(self.keys, key))
        return index if index < len(self.keys) and self.keys[index] == key else -1

    def get(self, key: int) -> int | None:
        """The key's value, or None for a key never set."""
        value = self.recent.get(key)
        if value is not None:
            return value
        index = self._index(key)
        return int(self.values[index]) if index >= 0 else None

    def set(self, key: int, value: int) -> None:
        """Give ``key`` the value ``value``."""
        if key not in self.recent:
            index = self._index(key)
            if index >= 0:
                self.values[index] = value
                return
        self.recent[key] = value
        if len(self.recent) >= self.RECENT:
            self._merge()

    def _merge(self) -> None:
        keys = np.concatenate([self.keys, np.fromiter(self.recent.keys(), np.int64, len(self.recent))])
        values = np.concatenate([self.values, np.fromiter(self.recent.values(), np.int64, len(self.recent))])
        order = np.argsort(keys, kind="stable")
        self.keys, self.values, self.recent = keys[order], values[order], {}


class _Session:
    """An open session of the stream: what ``SessionFacts`` holds, plus what the next event needs."""

    __slots__ = ("start_ms", "end_ms", "page_views", "landing_page", "exit_page", "converted", "referrer_host",
                 "campaign", "previous_page", "last_day", "exposure", "exposure_converted")

    def __init__(self, start_ms: int, referrer_host: str | None, campaign: str | None, day: int) -> None:
        self.start_ms = self.end_ms = start_ms
        self.page_views = 0
        self.landing_page: str | None = None
        self.exit_page: str | None = None
        self.converted = False
        self.referrer_host = referrer_host
        self.campaign = campaign
        self.previous_page = ENTRANCE
        self.last_day = day
        self.exposure: tuple[str, str, int] | None = None
        """(experiment, variant, time) of the session's first event carrying an experiment."""
        self.exposure_converted = False


class _FunnelChains:
    """One party's funnel steps since its oldest chain that can still grow."""

    __slots__ = ("by_step",)

    def __init__(self) -> None:
        self.by_step: dict[str, list[int]] = defaultdict(list)


class StreamingGroundTruth:
    """``compute`` over a time-ordered stream of row batches, in memory bounded by what is still open.

    Counts are added batch by batch; a session is folded into the totals once 30
    minutes have passed since its last event (the generator's session rule says
    it cannot continue), a funnel chain once its window has passed, a day's
    distinct visitors once the day is over. Distinct parties are kept as 64-bit
    hashes of their ids. ``result()`` gives, at any point, exactly ``compute`` of
    the rows added so far, without changing the state.
    """

    def __init__(self, fields: Sequence[str], steps: Sequence[str] = FUNNEL_STEPS,
                 window_ms: int = DEFAULT_FUNNEL_WINDOW_MS) -> None:
        self._at = {name: fields.index(name) for name in fields}
        self.steps = tuple(steps)
        self.window_ms = window_ms
        self.counts: Counter[str] = Counter()
        self.by: dict[str, Counter[Any]] = defaultdict(Counter)
        self.transitions: dict[str, Counter[str]] = defaultdict(Counter)
        self.visitors = CompactKeys()
        self.day_visitors: dict[int, set[int]] = defaultdict(set)
        self.closed_day_visitors: dict[int, int] = {}
        self.sessions: dict[str, _Session] = {}
        self.exposed_visitors = CompactKeys()
        """Per (experiment, variant, party) hash: 2 x day of first exposure, + 1 once converted."""
        self.experiment_cells: dict[tuple[str, str, str], list[int]] = defaultdict(lambda: [0, 0])
        self.experiment_days: dict[tuple[str, str, str, int], list[int]] = defaultdict(lambda: [0, 0])
        self.funnel_best = CompactKeys()
        self.funnel_open: dict[int, _FunnelChains] = {}
        self.funnel_reached = [0] * len(self.steps)
        self.latest_ms = 0
        self.written = 0
        self.reasons: Counter[str | None] = Counter()
        self._reason_at = [self._at[reason.field] for reason in EXCLUSION_REASONS]

    def add(self, rows: Sequence[Sequence[Any]]) -> None:
        """Count a batch of rows; batches come in time order. Excluded rows are counted by reason only."""
        if not rows:
            return
        self.written += len(rows)
        reasons = [row_exclusion_reason(row, self._reason_at) for row in rows]
        self.reasons.update(reasons)
        included = [row for row, reason in zip(rows, reasons) if reason is None]
        if included:
            self._add_included(included)
        self.latest_ms = rows[-1][self._at["timestamp"]]
        self._close_before(self.latest_ms)

    def _add_included(self, rows: Sequence[Sequence[Any]]) -> None:
        """Count included rows, in time order."""
        self._count_columns(rows)
        at = self._at
        ts_at, party_at, session_at, type_at, path_at = (at["timestamp"], at["partyId"], at["sessionId"],
                                                         at["eventType"], at["locationPath"])
        experiment_at, variant_at = at["experiment"], at["variant"]
        sessions, transitions, day_visitors = self.sessions, self.transitions, self.day_visitors
        page_views_by_day = self.by["page_views_by_day"]
        steps = self.steps
        for row in rows:
            moment = row[ts_at]
            day = moment // 86_400_000
            event_type = row[type_at]
            path = row[path_at]
            session = sessions.get(row[session_at])
            if session is None:
                session = sessions[row[session_at]] = self._open(row, moment, day)
            elif day != session.last_day:
                day_visitors[day].add(hash(row[party_at]))
                session.last_day = day
            session.end_ms = moment
            session.exit_page = path
            if event_type == "pageView":
                page_views_by_day[day] += 1
                session.page_views += 1
                session.landing_page = session.landing_page or path
                transitions[session.previous_page][path] += 1
                session.previous_page = path
            elif event_type == CONVERSION_EVENT:
                session.converted = True
            if row[experiment_at]:
                self._exposed(session, row[party_at], row[experiment_at], row[variant_at], moment, day, event_type)
            if event_type in steps:
                self._funnel_step(hash(row[party_at]), event_type, moment)

    def _count_columns(self, rows: Sequence[Sequence[Any]]) -> None:
        """The counts that need no state, a column at a time (Counter counts an iterable in C)."""
        at, by, counts = self._at, self.by, self.counts
        types = list(map(itemgetter(at["eventType"]), rows))
        counts["events"] += len(rows)
        counts["new_sessions"] += sum(map(itemgetter(at["firstInSession"]), rows))
        by["events_by_type"].update(Counter(types))
        by["clicks_by_technology"].update(Counter(filter(None, map(itemgetter(at["technology"]), rows))))
        by["page_views_by_page"].update(Counter(
            path for path, kind in zip(map(itemgetter(at["locationPath"]), rows), types) if kind == "pageView"))
        moments = at["timestamp"]
        first, last = rows[0][moments] // 86_400_000, rows[-1][moments] // 86_400_000
        if first == last:
            by["events_by_day"][first] += len(rows)
        else:
            by["events_by_day"].update(Counter(row[moments] // 86_400_000 for row in rows))

    def _open(self, row: Sequence[Any], moment: int, day: int) -> _Session:
        at = self._at
        key = hash(row[at["partyId"]])
        if self.visitors.get(key) is None:
            self.visitors.set(key, 0)
            by = self.by
            by["visitors_by_device"][row[at["userAgentDeviceCategory"]]] += 1
            by["visitors_by_browser"][row[at["userAgentName"]]] += 1
            by["visitors_by_os"][row[at["userAgentOsFamily"]]] += 1
            by["visitors_by_screen_size"][f"{row[at['screenPixelWidth']]} x {row[at['screenPixelHeight']]}"] += 1
        self.day_visitors[day].add(key)
        return _Session(moment, row[at["refererHost"]], row[at["utmCampaign"]], day)

    def _exposed(self, session: _Session, party: str, experiment: str, variant: str, moment: int, day: int,
                 event_type: str) -> None:
        converts = event_type == CONVERSION_EVENT
        if session.exposure is None:
            session.exposure = (experiment, variant, moment)
        elif not converts and session.exposure[:2] == (experiment, variant):
            return  # this party's exposure was counted at the session's first exposed event
        session.exposure_converted = session.exposure_converted or converts
        key = hash((experiment, variant, party))
        state = self.exposed_visitors.get(key)
        cell = (experiment, variant, "visitors")
        if state is None:
            state = 2 * day
            self.exposed_visitors.set(key, state)
            self.experiment_cells[cell][0] += 1
            self.experiment_days[(*cell, day)][0] += 1
        if converts and not state % 2:
            self.exposed_visitors.set(key, state + 1)
            self.experiment_cells[cell][1] += 1
            self.experiment_days[(*cell, state // 2)][1] += 1

    def _funnel_step(self, party: int, step: str, moment: int) -> None:
        chains = self.funnel_open.get(party)
        if chains is None:
            if step != self.steps[0]:
                return  # no chain it could continue
            chains = _FunnelChains()
        if step == self.steps[0]:
            # Re-inserted, so the dict stays in the order of the parties' latest first steps (see _close_before).
            self.funnel_open.pop(party, None)
            self.funnel_open[party] = chains
        chains.by_step[step].append(moment)
        level = _deepest_level(chains.by_step, self.steps, self.window_ms)
        best = self.funnel_best.get(party) or 0
        if level > best:
            for reached in range(best, level):
                self.funnel_reached[reached] += 1
            self.funnel_best.set(party, level)

    def _close_before(self, moment: int) -> None:
        """Fold what can no longer change: sessions idle 30 minutes, expired funnel chains, past days."""
        idle = moment - 30 * 60_000
        done = [key for key, session in self.sessions.items() if session.end_ms < idle]
        for key in done:
            self._fold(self.sessions.pop(key), self.counts, self.by, self.experiment_cells, self.experiment_days)
        expired = moment - self.window_ms
        first_step = self.steps[0]
        stale = list(itertools.takewhile(lambda item: item[1].by_step[first_step][-1] < expired,
                                         self.funnel_open.items()))
        for party, _ in stale:
            del self.funnel_open[party]
        today = moment // 86_400_000
        for day in [d for d in self.day_visitors if d < today]:
            self.closed_day_visitors[day] = len(self.day_visitors.pop(day))

    @staticmethod
    def _fold(session: _Session, counts: Counter[str], by: dict[str, Counter[Any]],
              cells: dict[tuple[str, str, str], list[int]], days: dict[tuple[str, str, str, int], list[int]]) -> None:
        duration_ms = session.end_ms - session.start_ms
        start_day = session.start_ms // 86_400_000
        bounced = session.page_views == 1
        counts["sessions"] += 1
        counts["bounced_sessions"] += bounced
        counts["converted_sessions"] += session.converted
        counts["session_duration_ms"] += duration_ms
        by["session_duration_buckets"][duration_bucket(duration_ms / 1000)] += 1
        by["exit_pages"][session.exit_page] += 1
        by["sessions_by_referrer_host"][session.referrer_host or DIRECT] += 1
        by["sessions_by_campaign"][session.campaign or NO_CAMPAIGN] += 1
        by["sessions_by_day"][start_day] += 1
        if bounced:
            by["bounced_sessions_by_day"][start_day] += 1
        if session.landing_page:
            by["landing_pages"][session.landing_page] += 1
            by["page_views_by_landing_page"][session.landing_page] += session.page_views
            if bounced:
                by["bounced_by_landing_page"][session.landing_page] += 1
        if session.exposure:
            experiment, variant, moment = session.exposure
            cell = (experiment, variant, "sessions")
            cells[cell][0] += 1
            cells[cell][1] += session.exposure_converted
            day = days[(*cell, moment // 86_400_000)]
            day[0] += 1
            day[1] += session.exposure_converted

    def result(self) -> dict[str, Any]:
        """``compute`` of every row added so far (open sessions counted as they stand)."""
        return finish_partial(self.partial())

    def partial(self) -> dict[str, Any]:
        """``result()`` with the duration in whole milliseconds: partials of streams with disjoint parties add up
        (``merge_partials``) to the truth of all of them."""
        counts, by = Counter(self.counts), defaultdict(Counter, {k: Counter(v) for k, v in self.by.items()})
        cells = defaultdict(lambda: [0, 0], {k: list(v) for k, v in self.experiment_cells.items()})
        days = defaultdict(lambda: [0, 0], {k: list(v) for k, v in self.experiment_days.items()})
        for session in self.sessions.values():
            self._fold(session, counts, by, cells, days)
        visitors_by_day = {**self.closed_day_visitors, **{d: len(v) for d, v in self.day_visitors.items()}}
        by_day = lambda counter: {_day_label(day): n for day, n in sorted(counter.items())}  # noqa: E731
        experiments: dict[str, Any] = {}
        for (experiment, variant, unit), (exposed, converted) in sorted(cells.items()):
            experiments.setdefault(experiment, {}).setdefault(variant, {})[unit] = {
                "exposed": exposed, "converted": converted}
        cohorts: dict[str, Any] = {}
        for (experiment, variant, unit, day), (exposed, converted) in sorted(days.items()):
            cohorts.setdefault(experiment, {}).setdefault(variant, {}).setdefault(unit, {})[_day_label(day)] = {
                "exposed": exposed, "converted": converted}
        plain = {name: dict(by[name]) for name in (
            "events_by_type", "clicks_by_technology", "session_duration_buckets", "landing_pages", "exit_pages",
            "visitors_by_device", "visitors_by_browser", "visitors_by_os", "visitors_by_screen_size",
            "page_views_by_page", "sessions_by_referrer_host", "sessions_by_campaign",
            "page_views_by_landing_page", "bounced_by_landing_page")}
        return {
            "rows": self.written,
            "excluded_events": excluded_counts(self.reasons),
            "events": counts["events"],
            "page_views": by["events_by_type"]["pageView"],
            "visitors": len(self.visitors),
            "sessions": counts["sessions"],
            "new_sessions": counts["new_sessions"],
            "events_by_day": by_day(by["events_by_day"]),
            "page_views_by_day": by_day(by["page_views_by_day"]),
            "bounced_sessions": counts["bounced_sessions"],
            "converted_sessions": counts["converted_sessions"],
            "total_session_duration_ms": counts["session_duration_ms"],
            "funnel": {"steps": list(self.steps), "window_ms": self.window_ms, "parties": list(self.funnel_reached)},
            "experiments": experiments,
            "experiment_cohorts_by_day": cohorts,
            "visitors_by_day": by_day(visitors_by_day),
            "page_transitions": {source: dict(targets) for source, targets in sorted(self.transitions.items())},
            "sessions_by_day": by_day(by["sessions_by_day"]),
            "bounced_sessions_by_day": by_day(by["bounced_sessions_by_day"]),
            **plain,
        }


def finish_partial(partial: dict[str, Any]) -> dict[str, Any]:
    """The truth document of a partial: its duration in seconds, as ``compute`` gives it."""
    document = dict(partial)
    document["total_session_duration_s"] = document.pop("total_session_duration_ms") / 1000
    return document


def merge_partials(partials: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The partial of the union of streams whose parties are disjoint: every count is a sum."""
    merged: dict[str, Any] = {}
    for partial in partials:
        merged = _add(merged, partial)
    return merged


def _add(left: Any, right: Any) -> Any:
    if isinstance(right, dict):
        if "parties" in right and "steps" in right:  # the funnel: same steps and window, parties per step add up
            parties = (left or {}).get("parties") or [0] * len(right["parties"])
            return {**right, "parties": [a + b for a, b in zip(parties, right["parties"])]}
        out = dict(left or {})
        for key, value in right.items():
            out[key] = _add(out.get(key), value)
        return out
    return right if left is None else left + right


def _day_label(day: int) -> str:
    return utc_day(day * 86_400_000)
