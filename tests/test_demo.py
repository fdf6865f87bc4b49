"""The embedded demo: provisioning is exact and repeatable, and the donut shows the ground truth."""

from __future__ import annotations

from collections import Counter

from conftest import ProvisionedDemo, provision_demo
from superset_divolte.superset_client import SupersetClient

DONUT = "Technology popularity"


def _inventory(client: SupersetClient) -> dict[str, list[tuple[int, str]]]:
    return {kind: sorted((item["id"], item["name"]) for item in client.list_objects(kind))
            for kind in ("database", "dataset", "chart", "dashboard")}


def _client(demo: ProvisionedDemo) -> SupersetClient:
    client = SupersetClient(demo.server.base_url, demo.server.username, demo.server.password)
    client.login()
    return client


def test_demo_provisions_one_database_the_dataset_the_donut_and_its_dashboard(demo: ProvisionedDemo) -> None:
    created = [line.split("'")[1] for line in demo.demo_output.splitlines() if line.startswith("  created   database")]
    assert created == ["Clickstream"]
    inventory = _inventory(_client(demo))
    # Other tests may add databases of their own to the shared server; the demo's is there once.
    assert Counter(name for _, name in inventory["database"])["Clickstream"] == 1
    assert Counter(name for _, name in inventory["dataset"])["clickstream"] == 1
    assert Counter(name for _, name in inventory["chart"])[DONUT] == 1
    assert Counter(name for _, name in inventory["dashboard"])["Technology popularity (live)"] == 1


def test_second_demo_run_creates_nothing_and_keeps_ids(demo: ProvisionedDemo) -> None:
    client = _client(demo)
    before = _inventory(client)
    again = provision_demo(demo.home)
    assert "reusing 60,000 events" in again.stderr
    assert "created 0, updated 0" in again.stderr
    assert _inventory(client) == before


def test_donut_data_equals_the_ground_truth(demo: ProvisionedDemo) -> None:
    client = _client(demo)
    chart_id = next(item["id"] for item in client.list_objects("chart") if item["name"] == DONUT)
    result = client.chart_data_from_saved_context(chart_id)["result"][0]
    shown = {row["technology"]: row["clicks"] for row in result["data"]}
    assert shown == demo.ground_truth["clicks_by_technology"]
    assert sum(shown.values()) == demo.ground_truth["events_by_type"]["click"]


def test_first_run_prints_how_to_log_in_last_without_migration_logs(demo: ProvisionedDemo) -> None:
    lines = [line for line in demo.demo_output.splitlines() if line.strip()]
    last = "\n".join(lines[-4:])
    assert "Superset: http://127.0.0.1:8088/superset/dashboard/technology-popularity/" in last
    assert "user: admin" in last
    assert "password: the one in SUPERSET_DIVOLTE_ADMIN_PASSWORD" in last
    assert f"SUPERSET_HOME={demo.home}" in last and "superset fab reset-password --username admin" in last
    # The migrations' hundreds of INFO lines (and their warnings) are kept for --verbose.
    assert not [line for line in lines if "alembic" in line or ":INFO:" in line or "Warning" in line]
    assert len(lines) < 120
