"""The REST client against a real Superset 6.1.0 served on 127.0.0.1."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Iterator

import pytest
import yaml

from superset_divolte.assets import load_tree
from superset_divolte.bundle import build_bundle, zip_bytes
from superset_divolte.superset_client import (
    PASSWORD_VARIABLE,
    MissingPassword,
    SupersetApiError,
    SupersetAuthenticationError,
    SupersetClient,
    SupersetUnreachable,
    password_from_environment_or_prompt,
)
from superset_server import SampleTree, SupersetServer, write_sample_tree


@pytest.fixture
def client(superset_server: SupersetServer) -> Iterator[SupersetClient]:
    """A client logged in as the test admin."""
    with SupersetClient(superset_server.base_url, superset_server.username, superset_server.password) as client:
        yield client


@pytest.fixture
def imported(tmp_path: Path, client: SupersetClient) -> SampleTree:
    """A fresh sample tree, imported through the REST API."""
    sample = write_sample_tree(tmp_path / "tree")
    bundle = build_bundle(load_tree(sample.root), "duckdb", {})
    client.import_assets(zip_bytes(bundle), bundle.passwords)
    return sample


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_wrong_password_is_an_authentication_error_naming_the_url(superset_server: SupersetServer) -> None:
    client = SupersetClient(superset_server.base_url, superset_server.username, "not-the-password")
    with pytest.raises(SupersetAuthenticationError) as raised:
        client.login()
    message = str(raised.value)
    assert superset_server.base_url in message
    assert superset_server.username in message
    assert PASSWORD_VARIABLE in message
    assert "not-the-password" not in message


def test_unreachable_port_names_the_url_and_what_to_check() -> None:
    url = f"http://127.0.0.1:{closed_port()}"
    with pytest.raises(SupersetUnreachable) as raised:
        SupersetClient(url, "admin", "whatever", timeout=5).login()
    message = str(raised.value)
    assert url in message
    assert "running" in message and "port" in message and "https" in message


def test_https_against_a_plain_http_server_is_unreachable_and_says_so(superset_server: SupersetServer) -> None:
    url = superset_server.base_url.replace("http://", "https://")
    with pytest.raises(SupersetUnreachable) as raised:
        SupersetClient(url, "admin", "whatever", timeout=10).login()
    assert url in str(raised.value) and "https" in str(raised.value)


def test_api_errors_carry_status_url_and_supersets_message(client: SupersetClient) -> None:
    with pytest.raises(SupersetApiError) as raised:
        client.chart(999_999)
    assert raised.value.status == 404
    assert "/api/v1/chart/999999" in str(raised.value)
    assert "Not found" in str(raised.value)


def test_password_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(PASSWORD_VARIABLE, "from-the-environment")
    assert password_from_environment_or_prompt() == "from-the-environment"


def test_without_password_or_terminal_the_error_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(PASSWORD_VARIABLE, raising=False)
    # pytest replaces standard input with one that is not a terminal.
    with pytest.raises(MissingPassword, match=PASSWORD_VARIABLE):
        password_from_environment_or_prompt()


def test_export_returns_what_was_imported(imported: SampleTree, client: SupersetClient) -> None:
    contents = client.export_assets()
    assert "metadata.yaml" in contents
    assert not any(path.startswith("assets_export") for path in contents), "the ZIP's root folder is stripped"
    by_uuid = {str(document["uuid"]): (path, document) for path, document in
               ((path, yaml.safe_load(text)) for path, text in contents.items() if path != "metadata.yaml")
               if isinstance(document, dict) and "uuid" in document}
    expected = {imported.database: "databases/", imported.dataset: "datasets/", imported.pie_chart: "charts/",
                imported.table_chart: "charts/", imported.dashboard: "dashboards/"}
    for uuid, prefix in expected.items():
        assert by_uuid[uuid][0].startswith(prefix)
    assert by_uuid[imported.database][1]["database_name"] == imported.database_name
    assert by_uuid[imported.pie_chart][1]["slice_name"] == "Pages"
    columns = {column["column_name"] for column in by_uuid[imported.dataset][1]["columns"]}
    assert columns == {"event_time", "page", "n"}


def test_list_objects_pages_through_every_object(imported: SampleTree, client: SupersetClient) -> None:
    charts = client.list_objects("chart")
    assert {imported.pie_chart, imported.table_chart} <= {chart["uuid"] for chart in charts}
    assert all(set(chart) == {"id", "uuid", "name"} for chart in charts)
    assert client.list_objects("chart", page_size=1) == charts
    assert imported.database_name in {database["name"] for database in client.list_objects("database")}
    assert imported.dashboard in {dashboard["uuid"] for dashboard in client.list_objects("dashboard")}
    assert imported.dataset in {dataset["uuid"] for dataset in client.list_objects("dataset")}


def test_chart_data_runs_the_saved_query_context(imported: SampleTree, client: SupersetClient) -> None:
    chart_id = client.find_id("chart", imported.pie_chart)
    rows = client.chart_data(chart_id)["result"][0]["data"]
    assert {row["page"]: row["count"] for row in rows} == {"home": 2, "cart": 1}
    posted = client.chart_data_from_saved_context(chart_id)["result"][0]["data"]
    assert posted == rows


def test_update_chart_changes_its_title(imported: SampleTree, client: SupersetClient) -> None:
    chart_id = client.find_id("chart", imported.pie_chart)
    client.update_chart(chart_id, {"slice_name": "Pages by visits"})
    assert client.chart(chart_id)["slice_name"] == "Pages by visits"
