"""Retention cohorts: the ``divolte_retention`` SQL and the Retention dashboard against the ground truth.

The demo's fixture spans 14 days (three calendar weeks); a dedicated fixture of six weeks, written
straight into DuckDB, holds the SQL to the ground truth over a full triangle. Both compare with
``ground_truth_retention``, which counts in Python.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import duckdb
import pytest

from browser import browser_page, log_in, rendered_charts, screenshot
from conftest import DEMO_END, ProvisionedDemo
from superset_divolte.event_store import write_events
from superset_divolte.events import GeneratorSettings, generate_events
from superset_divolte.ground_truth_retention import retention_cohorts
from superset_divolte.sql_macros import RetentionDefinitionError, retention_sql
from test_content import (  # noqa: F401 - fixtures shared with the content tests
    Runner,
    chart_ids,
    client,
    records,
    runner,
    tree_charts,
    written,
)

SIX_WEEKS_DAYS = 42


def _as_cells(rows: list[tuple[Any, ...]] | list[dict[str, Any]]) -> dict[str, dict[int, int]]:
    """{cohort day: {weeks since first visit: visitors}} from (cohort, week, visitors, ...) rows."""
    cells: dict[str, dict[int, int]] = {}
    for row in rows:
        cohort, week, visitors = row[:3] if isinstance(row, tuple) else (
            row["cohort_week"], row["weeks_since_first_visit"], row["returning_visitors"])
        cells.setdefault(_day(cohort), {})[int(week)] = int(visitors)
    return cells


def _day(moment: Any) -> str:
    if isinstance(moment, (int, float)):
        moment = datetime.fromtimestamp(moment / 1000, timezone.utc)
    return f"{moment:%Y-%m-%d}"


def _truth(events: list[dict[str, Any]], weeks: int = 12) -> dict[str, dict[int, int]]:
    return {_day(cohort): cells for cohort, cells in retention_cohorts(events, weeks).items()}


@pytest.fixture(scope="module")
def six_weeks(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[dict[str, Any]]]:
    """Six weeks of events (small: 20,000) in a DuckDB file of their own."""
    events = generate_events(GeneratorSettings(seed=11, events=20_000, days=SIX_WEEKS_DAYS,
                                               end=datetime.fromisoformat(DEMO_END)))
    database = tmp_path_factory.mktemp("retention") / "clickstream.duckdb"
    write_events(database, events)
    return database, events


@pytest.mark.parametrize("weeks", [12, 3])
def test_retention_sql_equals_the_ground_truth_over_six_weeks(six_weeks: tuple[Path, list], weeks: int) -> None:
    database, events = six_weeks
    with duckdb.connect(str(database), read_only=True) as connection:
        rows = connection.execute(retention_sql("duckdb", weeks)).fetchall()
    truth = _truth(events, weeks)
    assert len(truth) == 7, "six weeks from a Friday touch seven calendar weeks"
    assert max(len(cells) for cells in truth.values()) == min(weeks, 6) + 1
    assert _as_cells(rows) == truth
    for cohort, week, visitors, size, share in rows:
        assert size == truth[_day(cohort)][0]
        assert share == pytest.approx(visitors / size, rel=1e-12)


@pytest.mark.parametrize("weeks", [0, 53, "two", None])
def test_retention_weeks_out_of_range_are_refused_with_the_reason(weeks: Any) -> None:
    with pytest.raises(RetentionDefinitionError, match="retention weeks"):
        retention_sql("duckdb", weeks)


def test_cohort_triangle_chart_equals_the_ground_truth(runner: Runner, records: list[dict[str, Any]]) -> None:
    result = runner.run("retention_cohort_triangle")
    truth = _truth(records)
    assert len(truth) == 3, "14 days ending on a Friday touch three calendar weeks"
    assert _as_cells(result["data"]) == truth
    assert {_day(row["cohort_week"]): row["cohort_size"] for row in result["data"]} == \
        {cohort: cells[0] for cohort, cells in truth.items()}


def test_retention_curve_and_cohort_sizes(runner: Runner, records: list[dict[str, Any]]) -> None:
    truth = _truth(records)
    curve = {row["weeks_since_first_visit"]: row["retention_rate"] for row in runner.run("retention_curve")["data"]}
    weeks = sorted({week for cells in truth.values() for week in cells})
    expected = {week: sum(cells.get(week, 0) for cells in truth.values())
                / sum(cells[0] for cells in truth.values() if week in cells) for week in weeks}
    assert curve == pytest.approx(expected, rel=1e-12)
    sizes = {_day(row["cohort_week"]): row["cohort_size"]
             for row in runner.run("retention_new_visitors_per_week")["data"]}
    assert sizes == {cohort: cells[0] for cohort, cells in truth.items()}


_READ_TRIANGLE = """
(chart) => [...chart.querySelectorAll('[data-test="cohort-row"]')].map(row => ({
  cohort: row.getAttribute('data-cohort'),
  size: Number(row.getAttribute('data-size')),
  cells: [...row.querySelectorAll('[data-test="cohort-cell"]')].map(cell => ({
    week: Number(cell.getAttribute('data-week')),
    visitors: Number(cell.getAttribute('data-visitors')),
    share: Number(cell.getAttribute('data-share')),
    text: cell.innerText,
  })),
}))
"""


def test_retention_dashboard_draws_the_cohort_triangle_of_real_data(
        demo: ProvisionedDemo, records: list[dict[str, Any]], chart_ids: dict[str, int],  # noqa: F811
        artifacts: Path) -> None:
    server = demo.server
    responses: dict[int, dict[str, Any]] = {}

    def keep(response: Any) -> None:
        if "/api/v1/chart/data" in response.url and response.request.method == "POST" and response.status == 200:
            form_data = (response.request.post_data_json or {}).get("form_data") or {}
            responses[int(form_data.get("slice_id", -1))] = response.json()["result"][0]

    with browser_page(viewport=(1600, 1000)) as page:
        log_in(page, server.base_url, server.username, server.password)
        page.on("response", keep)
        page.goto(f"{server.base_url}/superset/dashboard/retention/")
        rendered_charts(page, expected=3)
        triangle = page.locator('[data-test="cohort-triangle"]')
        triangle.wait_for(timeout=60_000)
        shown = triangle.evaluate(_READ_TRIANGLE)
        page.wait_for_timeout(1500)  # the bar charts' grow animation, for the screenshot only
        shot = screenshot(page, artifacts, "dashboard-retention")
    truth = _truth(records)
    drawn = {row["cohort"]: {cell["week"]: cell["visitors"] for cell in row["cells"]} for row in shown}
    received = _as_cells(responses[chart_ids["retention_cohort_triangle"]]["data"])
    assert drawn == received == truth
    for row in shown:
        assert row["size"] == truth[row["cohort"]][0]
        for cell in row["cells"]:
            assert cell["share"] == pytest.approx(cell["visitors"] / row["size"], rel=1e-12)
            assert cell["text"] == f"{100 * cell['visitors'] / row['size']:.1f}%"
    assert shot.stat().st_size > 10_000
