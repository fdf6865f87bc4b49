"""The experiment chart in real Chromium against a running Superset 6.1.0."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import requests
from scipy import stats

from .chart_reader import ExperimentReading, read_experiment_chart, read_experiment_charts
from .harness import SupersetServer, api_session, browser_login
from .stats_reference import case_reference

BUNDLE_PREFIX = "/divolte-viz-plugins/"

# Ground truth of the test's `experiments` table: (hours before today 00:00 UTC, experiment, variant,
# unit, exposed, converted). Hours of first exposure are looks; all lie within "Last week".
EXPERIMENT_ROWS = [
    (30, "checkout-button", "control", "sessions", 10_000, 1_000),
    (30, "checkout-button", "B", "sessions", 10_000, 1_150),
    (29, "checkout-button", "control", "sessions", 10_000, 1_000),
    (29, "checkout-button", "B", "sessions", 10_000, 1_150),
    (30, "checkout-button", "control", "visitors", 12_000, 1_500),
    (30, "checkout-button", "B", "visitors", 12_100, 1_520),
    # Another experiment in the same table, which the chart must leave out.
    (30, "pricing-page", "control", "sessions", 999, 99),
    (30, "pricing-page", "B", "sessions", 999, 11),
]
STRAY_ROWS = [
    # Units whose events carried the experiment but no variant: listed apart, no part of any test.
    (29, "checkout-button", None, "sessions", 3, 0),
]


def _hour(hours_before_today: int) -> str:
    today = datetime.now(timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)
    return (today - timedelta(hours=hours_before_today)).strftime("%Y-%m-%d %H:%M:%S")


@pytest.fixture()
def page(chromium: Any) -> Any:
    """A fresh browser context and page, collecting uncaught page errors."""
    context = chromium.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.errors = []  # type: ignore[attr-defined]
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    try:
        yield page
    finally:
        context.close()


def test_login_page_loads_our_bundle(superset_server: SupersetServer, page: Any) -> None:
    """The frontend asks for plugins before login; the bundle must load there cleanly."""
    with page.expect_response(lambda r: BUNDLE_PREFIX in r.url, timeout=60_000) as bundle:
        page.goto(f"{superset_server.base_url}/login/")
    response = bundle.value
    assert response.status == 200
    assert response.headers["content-type"].startswith("application/javascript")
    page.wait_for_function(
        "() => window['__superset__/@superset-ui/core']"
        ".getChartMetadataRegistry().has('divolte_experiment')",
        timeout=60_000,
    )
    assert page.errors == []


def test_chart_gallery_offers_the_experiment_chart(
    superset_server: SupersetServer, page: Any, artifacts_dir: Path
) -> None:
    browser_login(page, superset_server.base_url)
    page.goto(f"{superset_server.base_url}/chart/add")
    search = page.get_by_placeholder("Search all charts")
    search.wait_for(timeout=60_000)
    search.fill("Experiment")
    card = page.get_by_text("Experiment (A/B test)").first
    card.wait_for(state="visible", timeout=60_000)
    page.screenshot(path=str(artifacts_dir / "viz-plugins-chart-gallery.png"))
    assert page.errors == []


def _analytics_db(path: Path) -> Path:
    """A SQLite file with an `experiments` table holding EXPERIMENT_ROWS."""
    with sqlite3.connect(path) as connection:
        connection.execute(
            "CREATE TABLE experiments (__time DATETIME, experiment TEXT, variant TEXT, unit TEXT, "
            "exposed INTEGER, converted INTEGER)"
        )
        connection.executemany(
            "INSERT INTO experiments VALUES (?, ?, ?, ?, ?, ?)",
            [(_hour(hours), *rest) for hours, *rest in EXPERIMENT_ROWS + STRAY_ROWS],
        )
    return path


def _create(session: requests.Session, base_url: str, resource: str, payload: dict[str, Any]) -> int:
    response = session.post(f"{base_url}/api/v1/{resource}/", json=payload, timeout=60)
    assert response.status_code == 201, (resource, response.status_code, response.text)
    return int(response.json()["id"])


@pytest.fixture(scope="module")
def experiments_dataset(
    superset_server: SupersetServer, superset_workdir: Path
) -> tuple[requests.Session, int]:
    """The `experiments` table registered in Superset as a database and dataset."""
    base = superset_server.base_url
    session = api_session(base)
    db_file = _analytics_db(superset_workdir / "analytics.sqlite")
    database = _create(
        session,
        base,
        "database",
        {"database_name": "viz-plugins-test", "sqlalchemy_uri": f"sqlite:///{db_file}"},
    )
    dataset = _create(
        session, base, "dataset", {"database": database, "schema": "main", "table_name": "experiments"}
    )
    return session, dataset


def _experiment_chart(
    superset_server: SupersetServer, dataset: tuple[requests.Session, int], name: str, **form: Any
) -> int:
    session, dataset_id = dataset
    params = {
        "datasource": f"{dataset_id}__table",
        "viz_type": "divolte_experiment",
        "control_variant": "control",
        "alpha": 0.05,
        "min_sample_per_variant": 1000,
        **form,
    }
    return _create(
        session,
        superset_server.base_url,
        "chart",
        {
            "slice_name": name,
            "viz_type": "divolte_experiment",
            "datasource_id": dataset_id,
            "datasource_type": "table",
            "params": json.dumps(params),
        },
    )


def _expected(experiment: str, unit: str) -> dict[str, tuple[int, int]]:
    totals: dict[str, tuple[int, int]] = {}
    for _, e, v, u, n, x in EXPERIMENT_ROWS:
        if (e, u) == (experiment, unit):
            exposed, converted = totals.get(v, (0, 0))
            totals[v] = (exposed + n, converted + x)
    return totals


def _z_test_p(treatment: tuple[int, int], control: tuple[int, int]) -> float:
    table = [[treatment[1], treatment[0] - treatment[1]], [control[1], control[0] - control[1]]]
    return float(stats.chi2_contingency(table, correction=False).pvalue)


def _check_against_truth(reading: ExperimentReading, unit: str) -> None:
    """Counts exact, rates and fixed-horizon p-value as SciPy computes them."""
    truth = _expected("checkout-button", unit)
    assert (reading.experiment, reading.unit) == ("checkout-button", unit)
    assert set(reading.variants) == set(truth)
    for name, (exposed, converted) in truth.items():
        shown = reading.variants[name]
        assert (shown.exposed, shown.converted) == (exposed, converted)
        assert shown.rate == pytest.approx(converted / exposed, rel=1e-12)
    assert reading.variants["control"].is_control
    expected_p = _z_test_p(truth["B"], truth["control"])
    assert reading.variants["B"].p_value == pytest.approx(expected_p, rel=1e-9, abs=1e-14)
    assert sum(v.probability_best for v in reading.variants.values()) == pytest.approx(1, abs=1e-9)
    looks = [[(v, n, x) for hours, e, v, u, n, x in EXPERIMENT_ROWS if (e, u, hours) == ("checkout-button", unit, h)]
             for h in sorted({r[0] for r in EXPERIMENT_ROWS}, reverse=True)]
    reference = case_reference("browser", [look for look in looks if look], "control", 0.05, 0.1, {})
    assert reading.variants["B"].always_valid_p == pytest.approx(reference["expected"]["B"]["always_valid_p"], rel=1e-9)
    assert reading.srm_p == pytest.approx(reference["srm_p"], rel=1e-9)
    assert (reading.verdict, reading.winner) == (reference["verdict"], reference["winner"])


VERDICTS = {"sessions": ("winner", "B"), "visitors": ("keep_running", None)}


@pytest.fixture(scope="module")
def experiment_charts(
    superset_server: SupersetServer, experiments_dataset: tuple[requests.Session, int]
) -> dict[str, int]:
    """One saved experiment chart per unit."""
    return {
        unit: _experiment_chart(
            superset_server, experiments_dataset, f"Checkout button ({unit})",
            experiment="checkout-button", unit=unit,
        )
        for unit in VERDICTS
    }


@pytest.mark.parametrize("unit", list(VERDICTS))
def test_chart_renders_the_ground_truth(
    superset_server: SupersetServer,
    experiment_charts: dict[str, int],
    page: Any,
    artifacts_dir: Path,
    unit: str,
) -> None:
    browser_login(page, superset_server.base_url)
    page.goto(f"{superset_server.base_url}/explore/?slice_id={experiment_charts[unit]}")
    reading = read_experiment_chart(page)
    page.screenshot(path=str(artifacts_dir / f"viz-plugins-experiment-chart-{unit}.png"))
    _check_against_truth(reading, unit)
    assert (reading.verdict, reading.winner) == VERDICTS[unit]
    if unit == "sessions":
        # The stray row without a variant is listed apart and changes no number of the clean data.
        assert reading.left_out is not None and "(no variant): 3 units, 0 conversions" in reading.left_out
    assert page.errors == []


def _dashboard_position(chart_ids: list[int]) -> dict[str, Any]:
    """Superset's layout JSON: one row with the charts side by side."""
    charts = {
        f"CHART-{chart_id}": {
            "type": "CHART",
            "id": f"CHART-{chart_id}",
            "children": [],
            "parents": ["ROOT_ID", "GRID_ID", "ROW-1"],
            "meta": {"chartId": chart_id, "width": 6, "height": 60},
        }
        for chart_id in chart_ids
    }
    return {
        "DASHBOARD_VERSION_KEY": "v2",
        "ROOT_ID": {"type": "ROOT", "id": "ROOT_ID", "children": ["GRID_ID"]},
        "GRID_ID": {"type": "GRID", "id": "GRID_ID", "children": ["ROW-1"], "parents": ["ROOT_ID"]},
        "ROW-1": {
            "type": "ROW",
            "id": "ROW-1",
            "children": list(charts),
            "parents": ["ROOT_ID", "GRID_ID"],
            "meta": {"background": "BACKGROUND_TRANSPARENT"},
        },
        **charts,
    }


def test_dashboard_tiles_show_the_ground_truth(
    superset_server: SupersetServer,
    experiments_dataset: tuple[requests.Session, int],
    experiment_charts: dict[str, int],
    page: Any,
    artifacts_dir: Path,
) -> None:
    """Half-width dashboard tiles: the narrow layout still carries every number."""
    session, _ = experiments_dataset
    base = superset_server.base_url
    chart_ids = list(experiment_charts.values())
    dashboard = _create(
        session,
        base,
        "dashboard",
        {
            "dashboard_title": "Experiment chart test",
            "published": True,
            "position_json": json.dumps(_dashboard_position(chart_ids)),
        },
    )
    for chart_id in chart_ids:
        response = session.put(f"{base}/api/v1/chart/{chart_id}", json={"dashboards": [dashboard]}, timeout=60)
        assert response.status_code == 200, response.text
    browser_login(page, base)
    page.goto(f"{base}/superset/dashboard/{dashboard}/")
    readings = {reading.unit: reading for reading in read_experiment_charts(page, expected=2)}
    page.screenshot(path=str(artifacts_dir / "viz-plugins-experiment-dashboard.png"))
    for unit, (verdict, winner) in VERDICTS.items():
        _check_against_truth(readings[unit], unit)
        assert (readings[unit].verdict, readings[unit].winner) == (verdict, winner)
    assert page.errors == []


def test_rolling_time_filter_on_a_dashboard_replaces_the_verdict(
    superset_server: SupersetServer,
    experiments_dataset: tuple[requests.Session, int],
    page: Any,
    artifacts_dir: Path,
) -> None:
    """"Last week" would cut the experiment's history: a warning instead of the clean data's verdict."""
    session, _ = experiments_dataset
    base = superset_server.base_url
    rolling = {"clause": "WHERE", "comparator": "Last week", "expressionType": "SIMPLE",
               "operator": "TEMPORAL_RANGE", "subject": "__time"}
    chart = _experiment_chart(superset_server, experiments_dataset, "Checkout button, last week",
                              experiment="checkout-button", unit="sessions", adhoc_filters=[rolling])
    dashboard = _create(session, base, "dashboard", {
        "dashboard_title": "Experiment chart with a rolling window", "published": True,
        "position_json": json.dumps(_dashboard_position([chart]))})
    response = session.put(f"{base}/api/v1/chart/{chart}", json={"dashboards": [dashboard]}, timeout=60)
    assert response.status_code == 200, response.text
    browser_login(page, base)
    page.goto(f"{base}/superset/dashboard/{dashboard}/")
    reading = read_experiment_charts(page, expected=1)[0]
    page.screenshot(path=str(artifacts_dir / "viz-plugins-experiment-rolling-window.png"))
    assert VERDICTS["sessions"] == ("winner", "B"), "the clean data alone gives a verdict"
    assert (reading.verdict, reading.winner) == ("time_filtered", None)
    assert "time filter" in reading.headline
    assert page.errors == []
