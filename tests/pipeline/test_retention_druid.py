"""Retention, funnels of chosen steps and the live tiles on Druid: their SQL, over events through Kafka, equals the ground truth."""

from __future__ import annotations

import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

import pytest
import yaml

from superset_divolte.assets import AssetLoader, resolve
from superset_divolte.druid.client import DruidClient, supervisor_spec
from superset_divolte.event_exclusion import included_events
from superset_divolte.events import GeneratorSettings, generate_events
from superset_divolte.ground_truth import funnel_counts
from superset_divolte.ground_truth_retention import retention_cohorts
from superset_divolte.kafka_sink import ensure_topic, produce_records
from superset_divolte.local_stack import LocalStack
from superset_divolte.sql_macros import funnel_sql, retention_sql, window_minutes_of

pytestmark = pytest.mark.pipeline
REPO = Path(__file__).resolve().parents[2]

EVENTS = 8_000
END = datetime(2026, 11, 20, tzinfo=timezone.utc)
CONTEXT = {"maxSubqueryRows": 500_000, "useApproximateCountDistinct": False, "useApproximateTopN": False}
"""As the Superset connection asks (datasets/databases/Clickstream.yaml)."""


def _day(epoch_or_text: Any) -> str:
    if isinstance(epoch_or_text, (int, float)):
        return f"{datetime.fromtimestamp(epoch_or_text / 1000, timezone.utc):%Y-%m-%d}"
    return str(epoch_or_text)[:10]


@pytest.fixture(scope="module")
def druid_events(stack: LocalStack, druid: DruidClient, say: Callable[[str], None],
                 request: pytest.FixtureRequest) -> tuple[str, list[dict[str, Any]]]:
    """Five weeks of events in a stream of their own (shared by the checks below)."""
    name = "analyst_retention_and_funnels"
    ensure_topic(stack.kafka_bootstrap, name)
    druid.submit_supervisor(supervisor_spec(stack.kafka_bootstrap, topic=name, datasource=name))
    request.addfinalizer(lambda: druid.terminate_supervisor(name))
    events = generate_events(GeneratorSettings(seed=23, events=EVENTS, days=35, end=END))
    events += _funnel_edges(included_events(events)[0])
    assert produce_records(stack.kafka_bootstrap, name, events) == len(events)
    druid.wait_for_count(name, len(events), 300.0, progress=say)
    return name, events


def _funnel_edges(template: dict[str, Any]) -> list[dict[str, Any]]:
    """Parties at the funnel rule's edges for the signup funnel in 24 hours: a step at the same millisecond as
    the step before (not later), a last step exactly at the window's end (inside) or 1 ms after (outside),
    a chain found only from a later first step, and steps out of order."""
    start, window = int((END.timestamp() - 10 * 86_400) * 1000) + 45_296_789, 86_400_000
    pv, ss, sc, pu = ("pricingView", "signupStart", "signupComplete", "purchase")
    parties = {
        "edge-same-ms-and-window-end": [(pv, 0), (ss, 0), (ss, 1), (sc, 1), (sc, 2), (pu, window)],
        "edge-one-ms-too-late": [(pv, 0), (ss, 5), (sc, 6), (pu, window + 1)],
        "edge-later-start": [(pv, 0), (pv, window), (ss, window + 10), (sc, window + 20), (pu, 2 * window)],
        "edge-out-of-order": [(ss, 0), (pv, 1), (sc, 2)],
    }
    return [{**template, "partyId": party, "sessionId": f"{party}-session", "eventId": f"{party}-{number}",
             "eventType": step, "timestamp": start + offset}
            for party, steps in parties.items() for number, (step, offset) in enumerate(steps)]


def test_retention_on_druid_equals_the_ground_truth_over_five_weeks(
        druid: DruidClient, druid_events: tuple[str, list[dict[str, Any]]]) -> None:
    stream, events = druid_events
    rows = druid.sql(retention_sql("druid", 12, table=stream), context=CONTEXT)
    shown: dict[str, dict[int, int]] = {}
    for row in rows:
        shown.setdefault(_day(row["cohort_week"]), {})[int(row["weeks_since_first_visit"])] = int(row["visitors"])
        assert row["retention"] == pytest.approx(row["visitors"] / row["cohort_visitors"], rel=1e-12)
    truth = {f"{cohort:%Y-%m-%d}": cells for cohort, cells in retention_cohorts(events).items()}
    assert len(truth) >= 5
    assert shown == truth


@pytest.mark.parametrize("steps, window", [
    (("pricingView", "signupStart", "signupComplete", "purchase"), "24 hours"),
    (("pageView", "pricingView", "signupStart"), "1 hour"),
    (("signupStart", "signupComplete"), "30 minutes"),
])
def test_funnel_of_chosen_steps_on_druid_equals_the_ground_truth(
        druid: DruidClient, druid_events: tuple[str, list[dict[str, Any]]], steps: tuple[str, ...],
        window: str) -> None:
    stream, events = druid_events
    rows = druid.sql(funnel_sql("druid", steps, window, table=stream), context=CONTEXT)
    shown = [row["parties"] for row in sorted(rows, key=lambda row: row["step_number"])]
    assert shown == funnel_counts(included_events(events), steps, window_minutes_of(window) * 60_000)


def test_funnel_windows_and_the_age_of_the_newest_event_on_druid(
        druid: DruidClient, druid_events: tuple[str, list[dict[str, Any]]]) -> None:
    stream, events = druid_events
    windows = resolve(_document("datasets/Clickstream/funnel_windows.yaml")["sql"], "druid")
    assert [row["conversion_window"] for row in druid.sql(windows, context=CONTEXT)] == \
        ["30 minutes", "1 hour", "24 hours", "7 days"]
    metric = _document("charts/technology_newest_event_age.yaml")["params"]["metric"]["sqlExpression"]
    before_ms = time.time() * 1000
    (row,) = druid.sql(f'SELECT {resolve(metric, "druid")} AS age FROM "{stream}"', context=CONTEXT)
    newest_ms = max(event["timestamp"] for event in events)
    assert before_ms - newest_ms - 2000 <= row["age"] <= time.time() * 1000 - newest_ms + 2000


def _document(path: str) -> dict[str, Any]:
    folder = "datasets" if path.startswith("datasets/") else "dashboards"
    return yaml.load((REPO / folder / path).read_text(), Loader=AssetLoader)
