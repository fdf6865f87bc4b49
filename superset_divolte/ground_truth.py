"""Ground truth: the exact numbers a clickstream should show, computed in Python.

Nothing here runs SQL, so tests can hold the SQL of datasets and charts (on
DuckDB or Druid) against an independent count of the same events.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
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
        facts = sessions.setdefault(
            record["sessionId"], SessionFacts(record["partyId"], record["timestamp"], record["timestamp"]))
        facts.end_ms = record["timestamp"]
        facts.exit_page = record["locationPath"]
        if record["eventType"] == "pageView":
            facts.page_views += 1
            facts.landing_page = facts.landing_page or record["locationPath"]
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
    }
