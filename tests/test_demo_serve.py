"""`superset-divolte demo` serving: new events keep arriving, and Ctrl-C stops everything it started."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time

from browser import browser_page, log_in
from conftest import REPO, TEST_PASSWORD, demo_environment
from superset_divolte.superset_client import SupersetClient
from superset_server import wait_for

DONUT = "Technology popularity"
REFRESH_S = 10
"""The Technology dashboard's refresh_frequency."""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _donut_total(client: SupersetClient, chart_id: int) -> int:
    data = client.chart_data_from_saved_context(chart_id)["result"][0]["data"]
    return sum(row["clicks"] for row in data)


def _port_is_free(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) != 0


def _donut_grows_in_the_browser(base_url: str, chart_id: int) -> None:
    """In Chromium, the donut's total (from the page's own chart data) grows within two refresh intervals."""
    totals: list[tuple[float, int]] = []

    def keep(response) -> None:
        if "/api/v1/chart/data" not in response.url or response.request.method != "POST" or response.status != 200:
            return
        if ((response.request.post_data_json or {}).get("form_data") or {}).get("slice_id") == chart_id:
            arrived = time.monotonic()
            try:
                data = response.json()["result"][0]["data"]
            except Exception:  # noqa: BLE001 - an answer still arriving when the page closes
                return
            totals.append((arrived, sum(row["clicks"] for row in data)))

    with browser_page() as page:
        log_in(page, base_url, "admin", TEST_PASSWORD)
        page.on("response", keep)
        page.goto(f"{base_url}/superset/dashboard/technology-popularity/")
        deadline = time.monotonic() + 90
        while not totals and time.monotonic() < deadline:
            page.wait_for_timeout(200)
        assert totals, "the donut never got its data"
        first_at, first = totals[0]
        # Two intervals, and the time one refresh's queries take on a busy machine.
        deadline = first_at + 2 * REFRESH_S + 5
        while not any(total > first for _, total in totals) and time.monotonic() < deadline:
            page.wait_for_timeout(200)
        grown = [(at - first_at, total) for at, total in totals if total > first]
        assert grown, f"the donut's total stayed {first} for {2 * REFRESH_S} s: {totals}"
        # And the refreshes come every REFRESH_S plus the refresh's own query time (Superset schedules the
        # next one after the last answer); its default stagger added 5 s more (~16 s apart).
        deadline = time.monotonic() + 3 * REFRESH_S
        while len(totals) < 4 and time.monotonic() < deadline:
            page.wait_for_timeout(200)
    # From the first refresh on (the page's first load takes longer than a refresh).
    gaps = [later - earlier for (earlier, _), (later, _) in zip(totals[1:], totals[2:])]
    assert len(gaps) >= 2 and max(gaps) <= REFRESH_S + 4.5, f"refreshes {gaps} s apart, not every {REFRESH_S} s"


def test_served_dashboard_keeps_moving_and_ctrl_c_stops_it(tmp_path) -> None:
    port = _free_port()
    log = (tmp_path / "demo.log").open("w")
    demo = subprocess.Popen(
        [sys.executable, "-m", "superset_divolte.cli", "demo", "--home", str(tmp_path / "home"),
         "--events", "5000", "--port", str(port)],
        cwd=REPO, env=demo_environment(), stdout=log, stderr=subprocess.STDOUT)
    try:
        base_url = f"http://127.0.0.1:{port}"
        client = SupersetClient(base_url, "admin", TEST_PASSWORD)
        wait_for(lambda: not _port_is_free(port) or demo.poll() is not None, 300, "the demo to listen")
        assert demo.poll() is None, (tmp_path / "demo.log").read_text()[-3000:]
        client.login()
        chart_id = next(item["id"] for item in client.list_objects("chart") if item["name"] == DONUT)
        first = _donut_total(client, chart_id)
        assert first >= 5000 * 0.1
        wait_for(lambda: _donut_total(client, chart_id) > first, 60, "new clicks to reach the donut")
        _donut_grows_in_the_browser(base_url, chart_id)
    finally:
        demo.send_signal(signal.SIGINT)
        started = time.monotonic()
        demo.wait(timeout=60)
        log.close()
    assert time.monotonic() - started < 60
    assert "stopped Superset and the trickle" in (tmp_path / "demo.log").read_text()
    assert _port_is_free(port)
