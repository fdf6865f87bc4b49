"""The content on the Druid target: every chart answers what it answers on DuckDB.

``test_content`` holds the DuckDB answers to the ground truth; here the same
tree, provisioned for the ``druid`` target into a second Superset, runs every
chart's saved query over the fixture's whole span against a Druid holding the
same 60,000 events, and the rows must be equal.

Needs a Druid broker whose datasource ``clickstream`` holds the fixture's
events (seed 42, 60,000 events ending 2026-11-20): set
``SUPERSET_DIVOLTE_TEST_DRUID_BROKER=http://127.0.0.1:PORT``. Without it the
tests are skipped. (The pipeline tests' local stack can provide one: start it,
send ``generate_events(GeneratorSettings(seed=42, events=60000, end=...))``
to a topic ingested into ``clickstream`` by the repository's supervisor spec.)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, Iterator
from urllib.parse import urlparse

import pytest
import requests

from conftest import DEMO_EVENTS, REPO, ProvisionedDemo
from superset_divolte.assets import load_tree
from superset_divolte.superset_client import SupersetClient
from superset_server import SupersetServer, home_environment, running_superset
from test_content import WHOLE_SPAN

pytestmark = pytest.mark.pipeline
BROKER_VARIABLE = "SUPERSET_DIVOLTE_TEST_DRUID_BROKER"
PASSWORD = "druid-content-test-admin"
NOT_ON_DRUID = {"signup_funnel", "signup_funnel_steps"}
"""Charts of the funnel dataset: the divolte_funnel macro's Druid SQL joins on time comparisons, which Druid
cannot plan ('SQL requires a join with GREATER_THAN condition that is not supported')."""


def _broker() -> str:
    broker = os.environ.get(BROKER_VARIABLE)
    if not broker:
        pytest.skip(f"{BROKER_VARIABLE} is not set: no Druid with the fixture's events")
    rows = requests.post(f"{broker}/druid/v2/sql/", json={"query": 'SELECT COUNT(*) AS "n" FROM "clickstream"'},
                         timeout=60).json()
    assert rows == [{"n": DEMO_EVENTS}], f"the Druid at {broker} does not hold the fixture's events: {rows}"
    return broker


@pytest.fixture(scope="module")
def druid_superset(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SupersetServer]:
    """A second Superset with the tree provisioned for the druid target."""
    broker = urlparse(_broker())
    with running_superset(tmp_path_factory.mktemp("druid-superset"), PASSWORD) as server:
        environment = {**home_environment(server.home), "SUPERSET_DIVOLTE_DRUID_HOST": broker.hostname or "",
                       "SUPERSET_DIVOLTE_DRUID_PORT": str(broker.port)}
        result = subprocess.run([sys.executable, "-m", "superset_divolte.cli", "provision", "--target", "druid",
                                 "--home", str(server.home.path), "--assets", str(REPO)],
                                cwd=REPO, env=environment, capture_output=True, text=True, timeout=900, check=False)
        assert result.returncode == 0, result.stderr[-3000:]
        yield server


def _rows(client: SupersetClient, uuid: str) -> list[tuple]:
    """The chart's rows over the fixture's whole span, order-free, floats to 9 digits."""
    context = json.loads(client.chart(client.find_id("chart", uuid))["query_context"])
    for query in context["queries"]:
        for condition in query.get("filters") or []:
            if condition.get("op") == "TEMPORAL_RANGE" and condition.get("val") != "No filter":
                condition["val"] = WHOLE_SPAN
        if "time_range" in query:
            query["time_range"] = WHOLE_SPAN
    context["force"] = True
    result = client.request("POST", "/api/v1/chart/data", json=context).json()["result"][0]
    assert result["status"] == "success", result
    return sorted((tuple(sorted((key, round(value, 9) if isinstance(value, float) else value)
                                for key, value in row.items())) for row in result["data"]), key=str)


def _charts() -> dict[str, str]:
    """Chart uuids of the repository's tree by file stem."""
    return {Path(file.import_path).stem: str(file.document["uuid"]) for file in load_tree(REPO).of_kind("charts")}


@pytest.fixture(scope="module")
def clients(druid_superset: SupersetServer, demo: ProvisionedDemo) -> Iterator[tuple[SupersetClient, SupersetClient]]:
    with SupersetClient(demo.server.base_url, demo.server.username, demo.server.password) as duck, \
            SupersetClient(druid_superset.base_url, druid_superset.username, druid_superset.password) as druid:
        yield duck, druid


def test_every_chart_answers_on_druid_what_it_answers_on_duckdb(clients: tuple[SupersetClient, SupersetClient]) -> None:
    duck, druid = clients
    different: dict[str, Any] = {}
    for stem, uuid in sorted(_charts().items()):
        if stem in NOT_ON_DRUID:
            continue
        on_duckdb, on_druid = _rows(duck, uuid), _rows(druid, uuid)
        assert on_duckdb, f"{stem} shows nothing over the whole span"
        if on_duckdb != on_druid:
            different[stem] = (on_duckdb[:3], on_druid[:3])
    assert not different, different


@pytest.mark.xfail(strict=True, reason="divolte_funnel's Druid SQL uses non-equality join conditions")
def test_the_funnel_runs_on_druid(clients: tuple[SupersetClient, SupersetClient]) -> None:
    duck, druid = clients
    uuid = _charts()["signup_funnel"]
    assert _rows(druid, uuid) == _rows(duck, uuid)
