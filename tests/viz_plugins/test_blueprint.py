"""The blueprint inside a real Superset 6.1.0 server, over HTTP."""

from __future__ import annotations

import http.client
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests

from superset_divolte.viz_plugins import PLUGINS, read_bundle

from .harness import SupersetServer, api_session

READ_ROUTE = "/dynamic-plugins/api/read"
OUR_KEY = "divolte_experiment"


def _plugins(server: SupersetServer) -> list[dict[str, str]]:
    response = requests.get(server.base_url + READ_ROUTE, timeout=30)
    assert response.status_code == 200, response.text
    return response.json()["result"]


def test_read_lists_our_plugin_without_login(superset_server: SupersetServer) -> None:
    plugins = _plugins(superset_server)
    ours = [p for p in plugins if p["key"] == OUR_KEY]
    assert len(ours) == 1
    url = ours[0]["bundle_url"]
    assert url.startswith("/") and not url.startswith("//"), url
    # Public route: nothing beyond what the browser needs to load bundles.
    assert all(set(p) == {"key", "bundle_url"} for p in plugins)


def test_bundle_is_javascript_and_revalidates(superset_server: SupersetServer) -> None:
    url = next(p["bundle_url"] for p in _plugins(superset_server) if p["key"] == OUR_KEY)
    response = requests.get(superset_server.base_url + url, timeout=30)
    assert response.status_code == 200
    assert response.headers["Content-Type"].split(";")[0] == "application/javascript"
    assert response.headers.get("X-Content-Type-Options") == "nosniff"
    assert response.content == read_bundle(PLUGINS[0])
    again = requests.get(
        superset_server.base_url + url,
        headers={"If-None-Match": response.headers["ETag"]},
        timeout=30,
    )
    assert again.status_code == 304


TRAVERSALS = [
    "/divolte-viz-plugins/..%2fregistry.py",
    "/divolte-viz-plugins/..%2F..%2Fviz_plugins%2Fregistry.py",
    "/divolte-viz-plugins/%2e%2e%2fblueprint.py",
    "/divolte-viz-plugins/%2E%2E%2F%2E%2E%2F__init__.py",
    "/divolte-viz-plugins/..%252fregistry.py",
    "/divolte-viz-plugins/..%5cregistry.py",
    "/divolte-viz-plugins/....%2f%2fregistry.py",
    "/divolte-viz-plugins/%c0%ae%c0%ae%2fregistry.py",
    "/divolte-viz-plugins/../viz_plugins/registry.py",
    "/divolte-viz-plugins/experiment-chart.js%2f..%2fregistry.py",
    "/divolte-viz-plugins/experiment-chart.js%00.py",
    "/divolte-viz-plugins/registry.py",
    "/divolte-viz-plugins/__init__.py",
    "/divolte-viz-plugins/",
    "/divolte-viz-plugins/%2fetc%2fpasswd",
]


def _raw_get(server: SupersetServer, path: str) -> tuple[int, bytes]:
    """GET with the path sent byte for byte (requests would normalise ``..``)."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    try:
        connection.putrequest("GET", path, skip_accept_encoding=True)
        connection.endheaders()
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


@pytest.mark.parametrize("path", TRAVERSALS)
def test_only_our_bundles_are_served(superset_server: SupersetServer, path: str) -> None:
    status, body = _raw_get(superset_server, path)
    assert status == 404, (path, status)
    assert b"def " not in body and b"import " not in body


@contextmanager
def _stored_plugin(db: Path, name: str, key: str, url: str) -> Iterator[None]:
    """A row in Superset's dynamic_plugin table for the duration of the block."""
    with sqlite3.connect(db) as connection:
        connection.execute(
            "INSERT INTO dynamic_plugin (name, key, bundle_url) VALUES (?, ?, ?)", (name, key, url)
        )
    try:
        yield
    finally:
        with sqlite3.connect(db) as connection:
            connection.execute("DELETE FROM dynamic_plugin WHERE key = ?", (key,))


def test_rows_of_the_plugins_screen_are_listed(
    superset_server: SupersetServer, metadata_db: Path
) -> None:
    url = "/static/other-plugin.js"
    with _stored_plugin(metadata_db, "Other plugin", "other_plugin", url):
        plugins = _plugins(superset_server)
        assert {"key": "other_plugin", "bundle_url": url} in plugins
        assert plugins[0]["key"] == OUR_KEY
        # Manage -> Plugins (Superset's own view) still lists it.
        page = api_session(superset_server.base_url).get(
            superset_server.base_url + "/dynamic-plugins/list/", timeout=30
        )
        assert page.status_code == 200 and "Other plugin" in page.text
    assert all(p["key"] != "other_plugin" for p in _plugins(superset_server))


def test_a_row_cannot_shadow_our_plugin(superset_server: SupersetServer, metadata_db: Path) -> None:
    with _stored_plugin(metadata_db, "Impostor", OUR_KEY, "/static/impostor.js"):
        ours = [p for p in _plugins(superset_server) if p["key"] == OUR_KEY]
    assert len(ours) == 1 and ours[0]["bundle_url"].startswith("/divolte-viz-plugins/")
