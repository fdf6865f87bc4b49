"""A non-admin SQL Lab user on the embedded DuckDB database reaches nothing but the clickstream.

Through Superset's REST API as a real Gamma + sql_lab user: DuckDB's file system,
extensions and settings are closed (``enable_external_access = false``,
``lock_configuration = true``), while the user's own SQL Lab queries and charts answer.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from analyst_user import add_analyst
from conftest import ProvisionedDemo
from superset_divolte.superset_client import SupersetApiError, SupersetClient

ANALYST = "analyst"
ANALYST_PASSWORD = "analyst-password-for-tests-1"
DONUT = "Technology popularity"
SANDBOX_REFUSALS = ("file system operations are disabled by configuration",
                    "Loading external extensions is disabled",
                    "the configuration has been locked")


@pytest.fixture(scope="module")
def analyst(demo: ProvisionedDemo) -> SupersetClient:
    """The analyst, logged in to the demo's Superset."""
    add_analyst(demo.server.environment, ANALYST, ANALYST_PASSWORD, "Clickstream")
    client = SupersetClient(demo.server.base_url, ANALYST, ANALYST_PASSWORD)
    client.login()
    return client


def _database_id(client: SupersetClient) -> int:
    return next(item["id"] for item in client.list_objects("database") if item["name"] == "Clickstream")


def run_sql(client: SupersetClient, sql: str) -> tuple[int, dict]:
    """SQL Lab's synchronous execute, as the analyst: (HTTP status, JSON body)."""
    payload = {"database_id": _database_id(client), "sql": sql, "runAsync": False, "schema": "main",
               "tab": "security", "client_id": uuid.uuid4().hex[:10], "queryLimit": 100}
    try:
        response = client.request("POST", "/api/v1/sqllab/execute/", json=payload)
    except SupersetApiError as error:
        return error.status, {"error": str(error)}
    return response.status_code, response.json()


def test_the_analyst_queries_the_clickstream_in_sql_lab(analyst: SupersetClient, demo: ProvisionedDemo) -> None:
    status, body = run_sql(analyst, "SELECT count(*) AS events FROM clickstream")
    assert status == 200, body
    assert body["data"][0]["events"] == demo.ground_truth["rows"], "the table holds every event, excluded ones too"


def test_the_analysts_chart_shows_the_ground_truth(analyst: SupersetClient, demo: ProvisionedDemo) -> None:
    chart_id = next(item["id"] for item in analyst.list_objects("chart") if item["name"] == DONUT)
    data = analyst.chart_data_from_saved_context(chart_id)["result"][0]["data"]
    assert {row["technology"]: row["clicks"] for row in data} == demo.ground_truth["clicks_by_technology"]


def test_the_analyst_sees_only_the_clickstream_and_cannot_add_a_database(analyst: SupersetClient) -> None:
    assert [item["name"] for item in analyst.list_objects("database")] == ["Clickstream"]
    with pytest.raises(SupersetApiError) as refused:
        analyst.request("POST", "/api/v1/database/", json={"database_name": "mine", "sqlalchemy_uri": "duckdb:///x"})
    assert refused.value.status in (401, 403)


ATTACKS = {
    "read_text of the secret key": "SELECT content FROM read_text('{home}/secret_key')",
    "read_csv": "SELECT * FROM read_csv('{home}/superset_config.py')",
    "read_blob of the metadata": "SELECT content FROM read_blob('{home}/superset.db')",
    "glob": "SELECT * FROM glob('{home}/*')",
    "COPY TO": "COPY (SELECT 1 AS a) TO '{home}/written-by-sql-lab.csv'",
    "ATTACH": "ATTACH '{home}/attached-by-sql-lab.duckdb' AS mine",
    "SET enable_external_access": "SET enable_external_access = true",
    "SET lock_configuration": "SET lock_configuration = false",
    "INSTALL httpfs": "INSTALL httpfs",
    "LOAD httpfs": "LOAD httpfs",
}


@pytest.mark.parametrize("attack", sorted(ATTACKS))
def test_sql_lab_cannot_reach_the_server(analyst: SupersetClient, demo: ProvisionedDemo, attack: str) -> None:
    home = Path(demo.home).resolve()
    status, body = run_sql(analyst, ATTACKS[attack].format(home=home))
    text = str(body)
    assert status >= 400, f"{attack} answered {status}: {text[:500]}"
    assert any(refusal in text for refusal in SANDBOX_REFUSALS), text[:1000]
    assert (home / "secret_key").read_text().strip() not in text
    assert not (home / "written-by-sql-lab.csv").exists()
    assert not (home / "attached-by-sql-lab.duckdb").exists()
