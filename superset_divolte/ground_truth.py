"""Ground truth: the exact numbers a clickstream should show, computed in Python.

Nothing here runs SQL, so tests can hold the SQL of datasets and charts (on
DuckDB or Druid) against an independent count of the same events.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Iterable, Sequence

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
    def duration_s(self) -> float:
        """Seconds from the first to the last event."""
        return (self.end_ms - self.start_ms) / 1000

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


def session_summary(sessions: Iterable[SessionFacts]) -> dict[str, Any]:
    """Session counts, bounces, conversions, durations and breakdowns of a set of sessions."""
    facts = list(sessions)
    durations = [f.duration_s for f in facts]
    return {
        "sessions": len(facts),
        "bounced_sessions": sum(1 for f in facts if f.bounced),
        "converted_sessions": sum(1 for f in facts if f.converted),
        "total_session_duration_s": sum(durations),
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


def compute(records: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Every number the dashboards show, counted straight from the records."""
    sessions = sessions_of(records)
    durations = [facts.duration_s for facts in sessions.values()]
    return {
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
        "total_session_duration_s": sum(durations),
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
