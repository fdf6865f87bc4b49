"""The event generator: deterministic, sized as asked, true to Divolte's session rule, with Divolte's
flagged events and robots at realistic rates."""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from datetime import datetime, timezone

import pytest

from superset_divolte import ground_truth
from superset_divolte.event_exclusion import ROBOT_TYPE, exclusion_reason, included_events
from superset_divolte.event_schema import field_names
from superset_divolte.events import (SESSION_TIMEOUT_MS, TECHNOLOGIES, GeneratorSettings, generate_events,
                                     live_events)

END = datetime(2026, 11, 20, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def records() -> list[dict]:
    return generate_events(GeneratorSettings(seed=7, events=40_000, days=14, end=END))


def test_same_seed_gives_the_same_events(records: list[dict]) -> None:
    again = generate_events(GeneratorSettings(seed=7, events=40_000, days=14, end=END))
    other = generate_events(GeneratorSettings(seed=8, events=40_000, days=14, end=END))
    assert again == records
    assert other != records


def test_size_and_fields_follow_the_request_and_the_schema(records: list[dict]) -> None:
    assert len(records) == 40_000
    assert all(tuple(record) == field_names() for record in records[:1000])
    start_ms = int(END.timestamp() * 1000) - 14 * 86_400_000
    assert min(r["timestamp"] for r in records) >= start_ms
    assert len({ground_truth.utc_day(r["timestamp"]) for r in records}) >= 14


def test_sessions_follow_the_30_minute_rule(records: list[dict]) -> None:
    by_party: dict[str, list[dict]] = defaultdict(list)
    for record in included_events(records):
        by_party[record["partyId"]].append(record)
    first_flags: dict[str, int] = defaultdict(int)
    for events in by_party.values():
        events.sort(key=lambda r: r["timestamp"])
        for before, after in zip(events, events[1:]):
            gap = after["timestamp"] - before["timestamp"]
            if after["sessionId"] == before["sessionId"]:
                assert gap < SESSION_TIMEOUT_MS, "a session holds a gap of 30 minutes or more"
                assert not after["firstInSession"]
            else:
                assert gap > SESSION_TIMEOUT_MS, "a new session started within 30 minutes"
                assert after["firstInSession"], "a session's first event lacks firstInSession"
        assert events[0]["firstInSession"]
        for event in events:
            first_flags[event["sessionId"]] += event["firstInSession"]
    assert set(first_flags.values()) == {1}, "every session has exactly one firstInSession"


def test_traffic_has_returning_visitors_funnel_drop_off_and_differing_variants(records: list[dict]) -> None:
    truth = ground_truth.compute(records)
    assert truth["sessions"] > truth["visitors"] * 1.2, "visitors come back"
    steps = truth["funnel"]["parties"]
    assert steps == sorted(steps, reverse=True) and steps[-1] > 0 and steps[-1] < steps[0] / 3
    rates = {variant: cells["visitors"]["converted"] / cells["visitors"]["exposed"]
             for variant, cells in truth["experiments"]["pricing-cta"].items()}
    assert rates["treatment"] > rates["control"] * 1.1


def test_flagged_events_and_robots_come_at_realistic_rates(records: list[dict]) -> None:
    reasons = Counter(exclusion_reason(record) for record in records)
    share = {reason: count / len(records) for reason, count in reasons.items()}
    assert 0.006 < share["duplicate"] < 0.015, share
    assert 0.001 < share["corrupt"] < 0.005, share
    assert 0.03 < share["bot"] < 0.08, share
    truth = ground_truth.compute(records)
    assert truth["excluded_events"] == {name: reasons[name] for name in ("corrupt", "duplicate", "bot")}
    assert truth["rows"] == len(records) and truth["events"] == reasons[None]


def test_a_duplicate_is_a_later_copy_of_an_event_received_before(records: list[dict]) -> None:
    originals = {(r["partyId"], r["sessionId"], r["eventId"]): r for r in records if not r["detectedDuplicate"]}
    assert len(originals) == sum(1 for r in records if not r["detectedDuplicate"]), "event ids are unique"
    copies = [r for r in records if r["detectedDuplicate"]]
    assert copies
    for copy in copies:
        original = originals[(copy["partyId"], copy["sessionId"], copy["eventId"])]
        assert 0 < copy["timestamp"] - original["timestamp"] <= 6 * 120_000
        assert {k: v for k, v in copy.items() if k not in ("timestamp", "detectedDuplicate")} == \
            {k: v for k, v in original.items() if k not in ("timestamp", "detectedDuplicate")}
    assert all(r["eventId"].startswith(r["pageViewId"]) for r in records)


def test_corrupt_events_are_custom_events_and_robots_only_crawl(records: list[dict]) -> None:
    assert not [r for r in records if r["detectedCorruption"] and (r["firstInSession"] or r["eventType"] == "pageView")]
    robots = [r for r in records if r["userAgentType"] == ROBOT_TYPE]
    assert {r["eventType"] for r in robots} == {"pageView"}
    assert not any(r["experiment"] or r["utmCampaign"] or r["technology"] for r in robots)
    robot_parties = {r["partyId"] for r in robots}
    assert all(r["userAgentType"] == ROBOT_TYPE for r in records if r["partyId"] in robot_parties)
    assert len(robots) / len(robot_parties) > 10, "robots crawl many pages"


def _event(party: str, event_type: str, minute: int) -> dict:
    return {"partyId": party, "eventType": event_type, "timestamp": minute * 60_000}


def test_funnel_counts_only_ordered_steps_within_the_window() -> None:
    steps = ("a", "b", "c")
    events = [
        _event("in-order", "a", 0), _event("in-order", "b", 5), _event("in-order", "c", 9),
        _event("wrong-order", "b", 0), _event("wrong-order", "a", 5), _event("wrong-order", "c", 1),
        _event("too-late", "a", 0), _event("too-late", "b", 30), _event("too-late", "c", 61),
        _event("second-chance", "a", 0), _event("second-chance", "a", 100), _event("second-chance", "b", 110),
        _event("second-chance", "c", 120),
    ]
    assert ground_truth.funnel_counts(events, steps, window_ms=60 * 60_000) == [4, 3, 2]


def test_live_events_are_one_fresh_session_of_logo_clicks() -> None:
    """The demo's trickle: a home page view, then the clicks, the last one at ``now``."""
    now = datetime(2026, 11, 20, 12, 0, tzinfo=timezone.utc)
    events = live_events(random.Random(3), now, 4)
    assert [event["eventType"] for event in events] == ["pageView"] + ["click"] * 4
    assert [event["firstInSession"] for event in events] == [True] + [False] * 4
    assert events[-1]["timestamp"] == int(now.timestamp() * 1000)
    assert len({event["sessionId"] for event in events}) == 1
    assert {event["technology"] for event in events[1:]} <= set(TECHNOLOGIES)
    assert set(events[0]) == set(field_names())
