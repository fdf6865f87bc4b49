"""Ground truth of weekly retention cohorts, counted in Python from the events (no SQL).

A visitor's cohort is the ISO week (Monday 00:00 UTC) of their first event;
they are retained in week k of their cohort when they have any event in the
k-th week after it. Weeks run up to the newest cohort's week, as the
``retention`` dataset shows them.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta, timezone
from typing import Any, Iterable

from superset_divolte.event_exclusion import included_events


def week_start(epoch_millis: int) -> datetime:
    """Monday 00:00 UTC of the ISO week holding ``epoch_millis``."""
    moment = datetime.fromtimestamp(epoch_millis / 1000, timezone.utc)
    day = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    return day - timedelta(days=day.weekday())


def retention_cohorts(records: Iterable[dict[str, Any]], weeks: int = 12) -> dict[datetime, dict[int, int]]:
    """Visitors per cohort week and weeks since their first visit (0..``weeks``), of included events.

    Week 0 is the cohort's size. A week after the newest cohort's week is left
    out for every cohort; a week inside it in which nobody returned counts 0.
    """
    seen: dict[str, set[datetime]] = defaultdict(set)
    for record in included_events(records):
        seen[record["partyId"]].add(week_start(record["timestamp"]))
    cohorts: dict[datetime, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for visitor_weeks in seen.values():
        first = min(visitor_weeks)
        for active in visitor_weeks:
            cohorts[first][(active - first).days // 7] += 1
    newest = max(cohorts)
    return {
        cohort: {k: by_offset.get(k, 0) for k in range(weeks + 1) if cohort + timedelta(weeks=k) <= newest}
        for cohort, by_offset in sorted(cohorts.items())
    }
