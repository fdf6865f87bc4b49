"""The Technology page's live tiles: the newest event's time and its age, against the fixture's events."""

from __future__ import annotations

import time
from typing import Any

from test_content import (  # noqa: F401 - fixtures shared with the content tests
    Runner,
    chart_ids,
    client,
    records,
    runner,
    tree_charts,
    written,
)


def _value(result: dict[str, Any]) -> float:
    (row,) = result["data"]
    (value,) = row.values()
    return value


def test_newest_event_tile_shows_the_time_of_the_newest_event(runner: Runner, records: list[dict[str, Any]]) -> None:
    assert _value(runner.run("technology_newest_event")) == max(record["timestamp"] for record in records)


def test_age_tile_is_the_time_from_the_newest_event_to_now(runner: Runner, records: list[dict[str, Any]]) -> None:
    before_ms = time.time() * 1000
    age_ms = _value(runner.run("technology_newest_event_age"))
    after_ms = time.time() * 1000
    newest_ms = max(record["timestamp"] for record in records)
    # Whole seconds on Druid: the age is known to within the query's duration and one second.
    assert before_ms - newest_ms - 1000 <= age_ms <= after_ms - newest_ms + 1000
