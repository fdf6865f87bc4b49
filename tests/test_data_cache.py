"""Superset's chart-data cache: one engine query per chart per live refresh, however many viewers.

A sample tree (DuckDB) is provisioned into the shared real Superset 6.1.0. A chart-data
request asked twice within ``LIVE_REFRESH_SECONDS`` is answered the second time from the
cache; after new events are appended the cached number stays until the timeout passes, then
moves to the new ground truth (a sum made in Python from the rows written); ``force`` skips it.
"""

from __future__ import annotations

import contextlib
import html
import json
import re
from typing import Any, Iterator

import duckdb
import pytest

from conftest import REPO
from superset_divolte.assets import load_tree
from superset_divolte.bundle import build_bundle, zip_bytes
from superset_divolte.config import LIVE_REFRESH_SECONDS
from superset_divolte.superset_client import SupersetClient
from superset_server import SAMPLE_ROWS, SampleTree, SupersetServer, wait_for, write_sample_tree


@pytest.fixture
def client(superset_server: SupersetServer) -> Iterator[SupersetClient]:
    """A client logged in as the test admin."""
    with SupersetClient(superset_server.base_url, superset_server.username, superset_server.password) as client:
        client.login()
        yield client


@pytest.fixture
def sample(tmp_path, client: SupersetClient) -> SampleTree:
    """A fresh sample tree with its DuckDB events, provisioned."""
    tree = write_sample_tree(tmp_path / "tree")
    bundle = build_bundle(load_tree(tree.root), "duckdb", {})
    client.import_assets(zip_bytes(bundle), bundle.passwords)
    return tree


def total_of(rows: list[tuple[str, str, int]]) -> int:
    """The ground truth of the ``total`` metric (SUM(n)), counted in Python."""
    return sum(n for _, _, n in rows)


def append(sample: SampleTree, row: tuple[str, str, int]) -> None:
    """One more event in the sample's DuckDB table, as the live loader would add it."""
    with duckdb.connect(str(sample.root / "events.duckdb")) as connection:
        connection.execute(f"INSERT INTO {sample.table_name} VALUES (CAST(? AS TIMESTAMP), ?, ?)", row)


def total(client: SupersetClient, dataset_id: int, force: bool = False) -> tuple[int, bool]:
    """The ``total`` metric through ``POST /api/v1/chart/data``, and whether the cache answered."""
    context = {"datasource": {"id": dataset_id, "type": "table"}, "force": force,
               "queries": [{"metrics": ["total"], "columns": [], "filters": [], "row_limit": 10}],
               "result_format": "json", "result_type": "full"}
    result = client.request("POST", "/api/v1/chart/data", json=context).json()["result"][0]
    assert result.get("status") == "success" and not result.get("error"), result
    return result["data"][0]["total"], bool(result["is_cached"])


def test_chart_data_is_cached_for_one_refresh_then_follows_new_events(
        client: SupersetClient, sample: SampleTree) -> None:
    dataset_id = client.find_id("dataset", sample.dataset)
    rows = list(SAMPLE_ROWS)
    first = total(client, dataset_id)
    assert first == (total_of(rows), False)
    assert total(client, dataset_id) == (total_of(rows), True)

    rows.append(("2026-11-02 10:00:00", "cart", 7))
    append(sample, rows[-1])
    assert total(client, dataset_id) == (total_of(rows[:-1]), True), "the cache answers within the timeout"
    moved = wait_for(lambda: (value := total(client, dataset_id))[0] == total_of(rows) and value,
                     3 * LIVE_REFRESH_SECONDS, "the cached total to expire and follow the new event")
    assert moved == (total_of(rows), False)

    rows.append(("2026-11-02 10:01:00", "home", 11))
    append(sample, rows[-1])
    assert total(client, dataset_id, force=True) == (total_of(rows), False), "force skips the cache"
    assert total(client, dataset_id) == (total_of(rows), True), "the forced answer is what the cache keeps"


def test_the_live_dashboards_refresh_no_faster_than_the_cache_expires() -> None:
    refreshes = {file.import_path: file.document["metadata"].get("refresh_frequency", 0)
                 for file in load_tree(REPO).of_kind("dashboards")}
    live = {path: seconds for path, seconds in refreshes.items() if seconds}
    assert live and min(live.values()) >= LIVE_REFRESH_SECONDS, live
    timeouts: dict[str, Any] = {file.import_path: file.document.get("cache_timeout")
                                for file in load_tree(REPO).of_kind("charts")}
    # 0 (or unset) means "the DATA_CACHE_CONFIG default", which is LIVE_REFRESH_SECONDS.
    assert all(not timeout or timeout <= LIVE_REFRESH_SECONDS for timeout in timeouts.values()), timeouts


def test_a_dashboards_own_refresh_asks_for_cached_data(client: SupersetClient) -> None:
    """Superset's default ("force") would bypass the cache on every periodic refresh of every viewer."""
    page = client.request("GET", "/superset/welcome/").text
    match = re.search(r'data-bootstrap="([^"]*)"', page)
    assert match, "the page carries Superset's bootstrap data"
    conf = json.loads(html.unescape(match.group(1)))["common"]["conf"]
    assert conf["DASHBOARD_AUTO_REFRESH_MODE"] == "fetch"


def logged_actions(server: SupersetServer) -> dict[str, int]:
    """Rows of Superset's request log (its ``logs`` table) by action, read from the metadata database."""
    import sqlite3

    with contextlib.closing(sqlite3.connect(f"file:{server.home.metadata_path}?mode=ro", uri=True)) as metadata:
        return dict(metadata.execute("SELECT action, COUNT(*) FROM logs GROUP BY action").fetchall())


def test_chart_data_requests_leave_no_row_in_the_request_log_while_the_rest_is_logged(
        superset_server: SupersetServer, client: SupersetClient, sample: SampleTree) -> None:
    dataset_id = client.find_id("dataset", sample.dataset)
    before = logged_actions(superset_server)
    for force in (True, False, False):
        total(client, dataset_id, force=force)
    assert logged_actions(superset_server) == before, "a chart-data request (or its SQL) was logged"
    client.get_json(f"/api/v1/dataset/{dataset_id}")
    grown = set(logged_actions(superset_server).items()) - set(before.items())
    assert any(action.startswith("DatasetRestApi") for action, _ in grown), grown
