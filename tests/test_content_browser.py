"""What a person sees: each dashboard renders every chart without an error, and its native filters work.

A real Chromium opens the demo's dashboards. The data the charts draw is
recorded from the page's own ``/api/v1/chart/data`` calls (the queries the
frontend builds, not the saved query contexts) and compared with the ground
truth; the native filters are set through the filter bar, as a person does.
"""

from __future__ import annotations

import json
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

import pytest

from browser import browser_page, log_in, rendered_charts, screenshot
from conftest import REPO, ProvisionedDemo
from superset_divolte import ground_truth
from superset_divolte.assets import load_tree
from superset_divolte.events import FUNNEL_STEPS
from test_content import (  # noqa: F401 - fixtures shared with the API tests
    bounds,
    days_before_end,
    iso,
    chart_ids,
    client,
    records,
    sessions,
    tree_charts,
    written,
)

def _layout_counts(kinds: tuple[str, ...]) -> dict[str, int]:
    """Components of the given kinds per dashboard slug, as the tree lays them out."""
    counts = {}
    for file in load_tree(REPO).of_kind("dashboards"):
        nodes = [node for node in file.document["position"].values() if isinstance(node, dict)]
        counts[file.document["slug"]] = sum(node.get("type") in kinds for node in nodes)
    return counts


CHART_COUNTS = _layout_counts(("CHART",))
"""Charts per dashboard: each draws, each queries once."""
HOLDERS = _layout_counts(("CHART", "MARKDOWN"))
"""Component holders on screen: a note (markdown) sits in one too."""
QUERY_COUNTS = CHART_COUNTS


class ChartData:
    """Chart data the page receives, by chart id, as it arrives."""

    def __init__(self, page: Any) -> None:
        self.by_chart: dict[int, dict[str, Any]] = {}
        self.payloads: dict[int, dict[str, Any]] = {}
        self.page = page
        page.on("response", self._keep)

    def _keep(self, response: Any) -> None:
        if "/api/v1/chart/data" not in response.url or response.request.method != "POST":
            return
        try:
            payload = json.loads(response.request.post_data or "{}")
            body = response.json()
        except Exception:  # noqa: BLE001 - a response the page aborted has no body
            return
        slice_id = (payload.get("form_data") or {}).get("slice_id")
        if slice_id is not None and response.status == 200:
            self.by_chart[int(slice_id)] = body["result"][0]
            self.payloads[int(slice_id)] = payload

    def reset(self) -> None:
        """Forget the results (the latest query per chart stays in ``payloads``)."""
        self.by_chart.clear()

    def wait_for(self, count: int, timeout_s: float = 90, ready: Callable[[], bool] = lambda: True) -> None:
        """Until ``count`` charts have their data and ``ready()`` holds (deadline-bound)."""
        deadline = time.monotonic() + timeout_s
        while len(self.by_chart) < count or not ready():
            if time.monotonic() > deadline:
                raise AssertionError(f"{len(self.by_chart)}/{count} charts got data in {timeout_s}s "
                                     f"(ready: {ready()})")
            # Playwright delivers the page's events while it waits on the page, not during time.sleep.
            self.page.wait_for_timeout(200)


def _open(page: Any, demo: ProvisionedDemo, slug: str, data: ChartData) -> list[str]:
    server = demo.server
    page.goto(f"{server.base_url}/superset/dashboard/{slug}/")
    texts = rendered_charts(page, expected=CHART_COUNTS[slug])
    data.wait_for(QUERY_COUNTS[slug])
    return texts


def _apply_filters(page: Any, data: ChartData, count: int, ready: Callable[[], bool] = lambda: True) -> None:
    """Apply the filter bar and wait for ``count`` charts' new data; ``ready`` tells the filtered answers
    from late answers to the unfiltered page (the latest answer per chart is kept)."""
    data.reset()
    page.locator("[data-test='filter-bar__apply-button']").click()
    data.wait_for(count, ready=ready)
    page.wait_for_timeout(300)
    while page.locator(".loading").count():
        page.wait_for_timeout(200)


def _set_time_range(page: Any, start: str, end: str, timeout_s: float = 60.0) -> None:
    """Advanced range in the filter bar's time filter: [start, end).

    The popover is the one holding the apply button (a hover tooltip over the trigger may open after it and
    come last in the page); "Advanced" is picked again until its two range inputs are shown, since a pick
    made while the dropdown still animates in can miss."""
    page.locator("[data-test='time-range-trigger']").first.click()
    popover = page.locator(".ant-popover").filter(
        has=page.locator("[data-test='date-filter-control__apply-button']")).last
    inputs = popover.locator("input")
    deadline = time.monotonic() + timeout_s
    while inputs.count() < 3:
        if time.monotonic() > deadline:
            raise AssertionError(f"the time range popover shows no Advanced range inputs in {timeout_s:.0f}s")
        popover.locator(".ant-select").first.click()
        option = page.locator(".ant-select-item-option", has_text="Advanced")
        option.wait_for(state="visible")
        option.click()
        page.wait_for_timeout(300)  # Playwright delivers the page's events while it waits on the page
    inputs.nth(1).fill(start)
    inputs.nth(2).fill(end)
    popover.locator("[data-test='date-filter-control__apply-button']").click()


def _choose(page: Any, filter_name: str, value: str) -> None:
    """Pick one value in the filter bar's select filter called ``filter_name``."""
    # The filter bar lists the filters in configuration order: time range, device, campaign.
    index = {"Device": 1, "Campaign": 2}[filter_name]
    item = page.locator("[data-test='form-item-value']").nth(index)
    item.locator(".ant-select-selector").click()
    page.keyboard.type(value)
    page.locator(".ant-select-item-option", has_text=value).first.click()
    page.keyboard.press("Escape")


def _filtered(data: ChartData, chart_id: int, column: str) -> bool:
    """True when the chart's latest query filters on ``column`` (a native filter reached it)."""
    payload = data.payloads.get(chart_id) or {}
    return any(condition.get("col") == column for query in payload.get("queries", [])
               for condition in query.get("filters", []))


def _ms(moment: str) -> int:
    """Epoch ms of a UTC time written without zone."""
    return int(datetime.fromisoformat(moment).replace(tzinfo=timezone.utc).timestamp() * 1000)


def _result(data: ChartData, ids: dict[str, int], stem: str) -> dict[str, Any]:
    return data.by_chart[ids[stem]]


@pytest.mark.parametrize("slug", sorted(CHART_COUNTS))
def test_dashboard_renders_every_chart_without_an_error(demo: ProvisionedDemo, artifacts: Path, slug: str,
                                                        chart_ids: dict[str, int]) -> None:  # noqa: F811
    server = demo.server
    with browser_page(viewport=(1600, 1000)) as page:
        log_in(page, server.base_url, server.username, server.password)
        data = ChartData(page)
        texts = _open(page, demo, slug, data)
        page.wait_for_timeout(1000)
        shot = screenshot(page, artifacts, f"dashboard-{slug}")
    assert len(texts) == HOLDERS[slug]
    assert len(data.by_chart) == CHART_COUNTS[slug]
    errors = {chart: result.get("error") for chart, result in data.by_chart.items()
              if result.get("status") != "success" or result.get("error")}
    assert not errors
    assert shot.stat().st_size > 50_000


def test_drawn_numbers_equal_the_ground_truth(demo: ProvisionedDemo, chart_ids: dict[str, int],  # noqa: F811
                                             records: list, sessions: dict) -> None:  # noqa: F811
    truth = demo.ground_truth
    server = demo.server
    with browser_page() as page:
        log_in(page, server.base_url, server.username, server.password)
        data = ChartData(page)
        _open(page, demo, "sessions-and-funnels", data)
        drawn = {stem: _result(data, chart_ids, stem) for stem in (
            "sessions_total", "sessions_bounce_rate", "signup_funnel", "sessions_duration_distribution")}
        data.reset()
        _open(page, demo, "experiments", data)
        experiment = _result(data, chart_ids, "experiment_results")
    kept = ground_truth.sessions_starting(sessions, *bounds(drawn["sessions_total"]))
    assert drawn["sessions_total"]["data"] == [{"sessions": len(kept)}]
    assert drawn["sessions_bounce_rate"]["data"][0]["bounce_rate"] == pytest.approx(
        sum(f.bounced for f in kept.values()) / len(kept))
    funnel = ground_truth.funnel_counts(ground_truth.in_range(records, *bounds(drawn["signup_funnel"])))
    assert {row["step"]: row["visitors"] for row in drawn["signup_funnel"]["data"]} == dict(zip(FUNNEL_STEPS, funnel))
    labels = [label for _, label in ground_truth.DURATION_BUCKETS]
    buckets = [row["duration_bucket"] for row in drawn["sessions_duration_distribution"]["data"]]
    assert buckets == sorted(buckets, key=labels.index)
    shown = {(row["variant"], row["unit"]): (row["exposed"], row["converted"]) for row in experiment["data"]}
    assert shown == {(variant, unit): (cell["exposed"], cell["converted"])
                     for variant, units in truth["experiments"]["pricing-cta"].items() for unit, cell in units.items()}


def test_native_filters_narrow_the_traffic_overview(demo: ProvisionedDemo, artifacts: Path,
                                                    chart_ids: dict[str, int],  # noqa: F811
                                                    records: list, sessions: dict) -> None:  # noqa: F811
    server = demo.server
    start, end = iso(days_before_end(10)), iso(days_before_end(7))
    from_ms, to_ms = _ms(start), _ms(end)
    with browser_page(viewport=(1600, 1000)) as page:
        log_in(page, server.base_url, server.username, server.password)
        data = ChartData(page)
        _open(page, demo, "traffic-overview", data)
        _set_time_range(page, start, end)
        _choose(page, "Device", "Tablet")
        sessions_id = chart_ids["traffic_sessions"]
        _apply_filters(page, data, QUERY_COUNTS["traffic-overview"], ready=lambda: _filtered(
            data, sessions_id, "userAgentDeviceCategory") and bounds(data.by_chart[sessions_id]) == (from_ms, to_ms))
        by_time_and_device = {stem: _result(data, chart_ids, stem) for stem in (
            "traffic_sessions", "traffic_visitors_by_device", "traffic_events_and_page_views_per_day",
            "traffic_events_last_15_minutes")}
        live_payload = data.payloads[chart_ids["traffic_events_last_15_minutes"]]
        _choose(page, "Campaign", "launch-week")
        # Only the session charts are in the campaign filter's scope: 12 charts less the live tile and 3 event charts.
        _apply_filters(page, data, 8, ready=lambda: _filtered(data, sessions_id, "campaign"))
        with_campaign = {stem: _result(data, chart_ids, stem) for stem in (
            "traffic_sessions", "traffic_sessions_by_campaign")}
        scoped = {stem: _filtered(data, chart_ids[stem], "campaign") for stem in (
            "traffic_events_and_page_views_per_day", "traffic_top_pages", "traffic_visitors_by_screen_size",
            "traffic_events_last_15_minutes", "traffic_sessions", "traffic_unique_visitors", "traffic_page_views",
            "traffic_sessions_by_source", "traffic_sessions_by_campaign", "traffic_visitors_by_device",
            "traffic_visitors_by_browser", "traffic_visitors_by_operating_system")}
        rendered_charts(page, expected=CHART_COUNTS["traffic-overview"])
        screenshot(page, artifacts, "dashboard-traffic-overview-filtered")
    tablet = [f for f in ground_truth.sessions_starting(sessions, from_ms, to_ms).values() if f.device == "Tablet"]
    assert bounds(by_time_and_device["traffic_sessions"]) == (from_ms, to_ms)
    assert by_time_and_device["traffic_sessions"]["data"] == [{"sessions": len(tablet)}]
    devices = by_time_and_device["traffic_visitors_by_device"]["data"]
    assert {row["userAgentDeviceCategory"]: row["visitors"] for row in devices} == {
        "Tablet": len({f.party_id for f in tablet})}
    tablet_events = [r for r in ground_truth.in_range(records, from_ms, to_ms)
                     if r["userAgentDeviceCategory"] == "Tablet"]
    assert sum(row["events"] for row in by_time_and_device["traffic_events_and_page_views_per_day"]["data"]) \
        == len(tablet_events) > 0
    # The live tile keeps its last 15 minutes: the dashboard's time range is not in its scope.
    live_ranges = [condition["val"] for query in live_payload["queries"] for condition in query.get("filters", [])
                   if condition["op"] == "TEMPORAL_RANGE"]
    assert live_ranges == ['DATEADD(DATETIME("now"), -15, minute) : now']
    launch = [f for f in tablet if f.campaign == "launch-week"]
    assert with_campaign["traffic_sessions"]["data"] == [{"sessions": len(launch)}]
    assert {row["campaign"]: row["sessions"] for row in with_campaign["traffic_sessions_by_campaign"]["data"]} \
        == ({"launch-week": len(launch)} if launch else {})
    # Event charts are outside the campaign filter's scope (an event carries the campaign only on its landing page).
    assert {stem for stem, filtered in scoped.items() if not filtered} == {
        "traffic_events_and_page_views_per_day", "traffic_top_pages", "traffic_visitors_by_screen_size",
        "traffic_events_last_15_minutes"}


def test_funnel_follows_the_dashboard_time_range(demo: ProvisionedDemo, chart_ids: dict[str, int],  # noqa: F811
                                                 records: list) -> None:  # noqa: F811
    server = demo.server
    start, end = iso(days_before_end(8)), iso(days_before_end(5))
    from_ms, to_ms = _ms(start), _ms(end)
    funnel_ids = (chart_ids["signup_funnel"], chart_ids["signup_funnel_steps"])
    with browser_page() as page:
        log_in(page, server.base_url, server.username, server.password)
        data = ChartData(page)
        _open(page, demo, "sessions-and-funnels", data)
        _set_time_range(page, start, end)
        _apply_filters(page, data, QUERY_COUNTS["sessions-and-funnels"], ready=lambda: all(
            chart in data.by_chart and bounds(data.by_chart[chart]) == (from_ms, to_ms) for chart in funnel_ids))
        funnel = _result(data, chart_ids, "signup_funnel")
        steps = _result(data, chart_ids, "signup_funnel_steps")
    assert bounds(funnel) == (from_ms, to_ms)
    expected = ground_truth.funnel_counts(ground_truth.in_range(records, from_ms, to_ms))
    assert expected != ground_truth.funnel_counts(records)
    assert {row["step"]: row["visitors"] for row in funnel["data"]} == dict(zip(FUNNEL_STEPS, expected))
    assert [row["visitors"] for row in steps["data"]] == expected
