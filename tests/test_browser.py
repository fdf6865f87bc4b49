"""What a person sees: log in, open the live dashboard, the donut renders without a chart error."""

from __future__ import annotations

from pathlib import Path

from browser import browser_page, log_in, record_chart_data, rendered_charts, screenshot
from conftest import ProvisionedDemo


def test_live_dashboard_renders_the_donut(demo: ProvisionedDemo, artifacts: Path) -> None:
    server = demo.server
    with browser_page() as page:
        log_in(page, server.base_url, server.username, server.password)
        drawn_data = record_chart_data(page)
        page.goto(f"{server.base_url}/superset/dashboard/technology-popularity/")
        rendered_charts(page, expected=2)
        shot = screenshot(page, artifacts, "technology-popularity-dashboard")
    donut = next(result["data"] for result in drawn_data
                 if result["data"] and "technology" in result["data"][0])
    assert {row["technology"]: row["clicks"] for row in donut} == demo.ground_truth["clicks_by_technology"]
    assert shot.stat().st_size > 20_000
