"""The Experiments dashboard with the custom experiment chart: numbers on screen equal the ground truth."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from scipy import stats

from browser import browser_page, log_in, screenshot
from conftest import DEMO_END, DEMO_EVENTS, ProvisionedDemo
from superset_divolte.event_exclusion import included_events
from superset_divolte.events import GeneratorSettings, generate_events
from superset_divolte.ground_truth import CONVERSION_EVENT
from superset_divolte.superset_client import SupersetClient
from viz_plugins.chart_reader import read_experiment_charts
from viz_plugins.stats_reference import case_reference

EXPERIMENT = "pricing-cta"
UNITS = ("visitors", "sessions")
ALPHA = 0.05
MIXING_SCALE = 0.1
TUNED_UPLIFT = 0.1
"""The chart's defaults: significance level, the broad mixture's log-odds scale, the tuned uplift."""
HOUR_MS = 3_600_000


def _truth(demo: ProvisionedDemo, unit: str) -> dict[str, tuple[int, int]]:
    cells = demo.ground_truth["experiments"][EXPERIMENT]
    return {variant: (cell[unit]["exposed"], cell[unit]["converted"]) for variant, cell in cells.items()}


@pytest.fixture(scope="module")
def hourly_looks(demo: ProvisionedDemo) -> dict[str, list[list[tuple[str, int, int]]]]:
    """Per unit, the experiment's looks: units by variant and hour of first exposure, from the events.

    The demo's events generated again (same seed and settings), checked against its written ground truth.
    """
    events = included_events(generate_events(GeneratorSettings(seed=42, events=DEMO_EVENTS, days=14,
                                                               end=datetime.fromisoformat(DEMO_END))))
    first: dict[tuple[str, str, str], int] = {}
    converted: set[tuple[str, str, str]] = set()
    for event in events:
        if event["experiment"] != EXPERIMENT:
            continue
        for unit, key in (("visitors", event["partyId"]), ("sessions", event["sessionId"])):
            cell = (event["variant"], unit, key)
            first[cell] = min(first.get(cell, event["timestamp"]), event["timestamp"])
            if event["eventType"] == CONVERSION_EVENT:
                converted.add(cell)
    counts: dict[tuple[str, int, str], list[int]] = defaultdict(lambda: [0, 0])
    for cell, timestamp in first.items():
        variant, unit, _ = cell
        row = counts[(unit, timestamp // HOUR_MS, variant)]
        row[0] += 1
        row[1] += cell in converted
    looks: dict[str, list[list[tuple[str, int, int]]]] = {}
    for unit in UNITS:
        hours = sorted({hour for u, hour, _ in counts if u == unit})
        looks[unit] = [[(v, n, x) for (u, h, v), (n, x) in sorted(counts.items()) if (u, h) == (unit, hour)]
                       for hour in hours]
        totals: dict[str, tuple[int, int]] = {}
        for look in looks[unit]:
            for variant, n, x in look:
                exposed, conversions = totals.get(variant, (0, 0))
                totals[variant] = (exposed + n, conversions + x)
        assert totals == _truth(demo, unit), "not the events that were loaded"
    return looks


def _z_test_p(treatment: tuple[int, int], control: tuple[int, int]) -> float:
    table = [[treatment[1], treatment[0] - treatment[1]], [control[1], control[0] - control[1]]]
    return float(stats.chi2_contingency(table, correction=False).pvalue)


@pytest.mark.parametrize("unit", UNITS)
def test_saved_query_of_the_verdict_chart_equals_the_ground_truth(demo: ProvisionedDemo, unit: str,
                                                                  hourly_looks: dict[str, Any]) -> None:
    client = SupersetClient(demo.server.base_url, demo.server.username, demo.server.password)
    client.login()
    chart_id = next(item["id"] for item in client.list_objects("chart")
                    if item["name"] == f"Should we stop? {EXPERIMENT} by {unit}")
    rows = client.chart_data_from_saved_context(chart_id)["result"][0]["data"]
    shown: dict[tuple[int, str], tuple[int, int]] = {
        (row["__time"] // HOUR_MS, row["variant"]): (row["exposed_units"], row["converted_units"]) for row in rows}
    hours = sorted({hour for hour, _ in shown})
    expected = [[(v, n, x) for (h, v), (n, x) in sorted(shown.items()) if h == hour] for hour in hours]
    assert expected == hourly_looks[unit]


def test_experiments_dashboard_shows_the_ground_truth_and_a_sound_verdict(
        demo: ProvisionedDemo, artifacts: Path, hourly_looks: dict[str, Any]) -> None:
    server = demo.server
    with browser_page() as page:
        log_in(page, server.base_url, server.username, server.password)
        page.goto(f"{server.base_url}/superset/dashboard/experiments/")
        readings = read_experiment_charts(page, expected=2)
        screenshot(page, artifacts, "dashboard-experiments-verdict")
    assert sorted(reading.unit for reading in readings) == sorted(UNITS)
    for reading in readings:
        truth = _truth(demo, reading.unit)
        assert reading.experiment == EXPERIMENT
        assert {name: (v.exposed, v.converted) for name, v in reading.variants.items()} == truth
        for name, (exposed, converted) in truth.items():
            assert reading.variants[name].rate == pytest.approx(converted / exposed, rel=1e-12)
        assert reading.variants["control"].is_control
        treatment = reading.variants["treatment"]
        assert treatment.p_value == pytest.approx(_z_test_p(truth["treatment"], truth["control"]), rel=1e-9)
        reference = case_reference(reading.unit, hourly_looks[reading.unit], "control", ALPHA, MIXING_SCALE, {},
                                   TUNED_UPLIFT)
        expected = reference["expected"]["treatment"]
        assert treatment.always_valid_p == pytest.approx(expected["always_valid_p"], rel=1e-9, abs=1e-15)
        assert treatment.uplift_interval == pytest.approx(tuple(expected["uplift_interval"]), rel=1e-9)
        assert reading.srm_p == pytest.approx(reference["srm_p"], rel=1e-9)
        assert (reading.verdict, reading.winner) == (reference["verdict"], reference["winner"])
    # By construction treatment converts about 30% better; over sessions the evidence is decisive.
    assert next(r for r in readings if r.unit == "sessions").verdict == "winner"


def test_a_rolling_dashboard_time_filter_replaces_the_verdict_with_a_warning(
        demo: ProvisionedDemo, artifacts: Path) -> None:
    """The dashboard's own time filter set to a rolling window: no verdict, a warning on both charts."""
    server = demo.server
    rolling = ("(NATIVE_FILTER-experiments-time:(extraFormData:(time_range:'Last month'),"
               "filterState:(value:'Last month'),id:NATIVE_FILTER-experiments-time,ownState:()))")
    with browser_page() as page:
        log_in(page, server.base_url, server.username, server.password)
        page.goto(f"{server.base_url}/superset/dashboard/experiments/?native_filters={rolling}")
        readings = read_experiment_charts(page, expected=2)
        screenshot(page, artifacts, "dashboard-experiments-rolling-filter")
    assert [(r.verdict, r.winner) for r in readings] == [("time_filtered", None)] * 2
