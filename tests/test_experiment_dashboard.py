"""The Experiments dashboard with the custom experiment chart: numbers on screen equal the ground truth."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from browser import browser_page, log_in, screenshot
from conftest import ProvisionedDemo
from superset_divolte.superset_client import SupersetClient
from viz_plugins.chart_reader import read_experiment_charts
from viz_plugins.stats_reference import sequential

EXPERIMENT = "pricing-cta"
UNITS = ("visitors", "sessions")
ALPHA = 0.05
TAU = 0.01
"""The chart's defaults: significance level and the mSPRT mixing scale."""


def _truth(demo: ProvisionedDemo, unit: str) -> dict[str, tuple[int, int]]:
    cells = demo.ground_truth["experiments"][EXPERIMENT]
    return {variant: (cell[unit]["exposed"], cell[unit]["converted"]) for variant, cell in cells.items()}


def _z_test_p(treatment: tuple[int, int], control: tuple[int, int]) -> float:
    table = [[treatment[1], treatment[0] - treatment[1]], [control[1], control[0] - control[1]]]
    return float(stats.chi2_contingency(table, correction=False).pvalue)


@pytest.mark.parametrize("unit", UNITS)
def test_saved_query_of_the_verdict_chart_equals_the_ground_truth(demo: ProvisionedDemo, unit: str) -> None:
    client = SupersetClient(demo.server.base_url, demo.server.username, demo.server.password)
    client.login()
    chart_id = next(item["id"] for item in client.list_objects("chart")
                    if item["name"] == f"Should we stop? {EXPERIMENT} by {unit}")
    rows = client.chart_data_from_saved_context(chart_id)["result"][0]["data"]
    shown = {row["variant"]: (row["exposed_units"], row["converted_units"]) for row in rows}
    assert shown == _truth(demo, unit)


def test_experiments_dashboard_shows_the_ground_truth_and_a_sound_verdict(demo: ProvisionedDemo,
                                                                          artifacts: Path) -> None:
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
        reference = sequential(*({"exposed": n, "converted": x} for n, x in (truth["treatment"], truth["control"])),
                               ALPHA, TAU)
        always_valid_p = min(1.0, float(np.exp(-reference["log_likelihood_ratio"])))
        assert treatment.always_valid_p == pytest.approx(always_valid_p, rel=1e-6)
        expected = ("winner", "treatment") if always_valid_p < ALPHA else ("keep_running", None)
        assert (reading.verdict, reading.winner) == expected
    # By construction treatment converts about 30% better; over sessions the evidence is decisive.
    assert next(r for r in readings if r.unit == "sessions").verdict == "winner"
