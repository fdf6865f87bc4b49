"""A real Superset 6.1.0 web server for tests, in its own SupersetHome.

``running_superset(folder, password)`` initializes a home in ``folder``
(migrations, roles, an admin with the given password) and serves it on a
free 127.0.0.1 port, until the ``with`` block ends. Initialization and the
server each run in a child process: Superset reads its configuration once per
process, so the test process itself never binds to this home.

Run as a script, this file is that child: ``python superset_server.py init``
or ``python superset_server.py serve PORT_FILE``, with the home's environment.

The session fixture ``superset_server`` (an empty Superset) is made available
to every test by importing it in ``tests/conftest.py``::

    from superset_server import superset_server  # noqa: F401

``write_sample_tree`` writes a small asset tree (a DuckDB database, a dataset,
two charts, a dashboard) in the canonical form, for tests that provision and export.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator, TypeVar

import pytest
import requests

from superset_divolte.config import HOME_VARIABLE, METADATA_URI_VARIABLE, SECRET_KEY_VARIABLE
from superset_divolte.superset_app import ADMIN_USERNAME, SupersetHome

PASSWORD_VARIABLE = "SUPERSET_DIVOLTE_TEST_ADMIN_PASSWORD"
# A throwaway instance on loopback: the password only has to be known to the tests.
ADMIN_PASSWORD = "superset-server-test-admin"
INIT_TIMEOUT = 600.0
START_TIMEOUT = 180.0
STOP_TIMEOUT = 30.0

T = TypeVar("T")


def wait_for(probe: Callable[[], T | None], timeout: float, what: str, interval: float = 0.2) -> T:
    """``probe()`` once it returns something truthy; a ``TimeoutError`` naming ``what`` after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(interval)


def home_environment(home: SupersetHome) -> dict[str, str]:
    """The test process's environment pointed at ``home`` and nothing else.

    Variables that select a home, a metadata database or a key are dropped
    first: another fixture may have set them in this process.
    """
    environment = {key: value for key, value in os.environ.items()
                   if key not in (HOME_VARIABLE, METADATA_URI_VARIABLE, SECRET_KEY_VARIABLE,
                                  "SUPERSET_CONFIG_PATH")}
    home.prepare_environment(environment)
    environment["PYTHONUNBUFFERED"] = "1"
    return environment


@dataclass(frozen=True)
class SupersetServer:
    """A running Superset: where it answers, who may log in, and its home on disk."""

    base_url: str
    username: str
    password: str
    home: SupersetHome
    environment: dict[str, str]
    log: Path


def _log_tail(log: Path, size: int = 4000) -> str:
    return log.read_text(encoding="utf-8", errors="replace")[-size:] if log.exists() else ""


def initialize_home(home: SupersetHome, password: str, environment: dict[str, str], log: Path) -> None:
    """Migrate the home's metadata, set up roles and the admin user, in a child process."""
    with log.open("ab") as output:
        result = subprocess.run([sys.executable, __file__, "init"], env={**environment, PASSWORD_VARIABLE: password},
                                stdout=output, stderr=subprocess.STDOUT, timeout=INIT_TIMEOUT, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"initializing Superset in {home.path} failed ({result.returncode}):\n{_log_tail(log)}")


def _announced_port(process: subprocess.Popen[bytes], port_file: Path, log: Path) -> int | None:
    if process.poll() is not None:
        raise RuntimeError(f"Superset exited with {process.returncode} before listening:\n{_log_tail(log)}")
    return int(port_file.read_text()) if port_file.exists() else None


def _healthy(base_url: str) -> bool:
    try:
        return requests.get(f"{base_url}/health", timeout=5).status_code == 200
    except requests.RequestException:
        return False


def stop_process(process: subprocess.Popen[bytes]) -> None:
    """Stop exactly this process: terminate, then kill if it does not exit in time."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=STOP_TIMEOUT)


@contextlib.contextmanager
def running_superset(folder: Path, password: str, username: str = ADMIN_USERNAME) -> Iterator[SupersetServer]:
    """A Superset initialized in ``folder`` and serving on 127.0.0.1, stopped when the block ends."""
    home = SupersetHome(folder / "home")
    environment = home_environment(home)
    log = folder / "superset.log"
    initialize_home(home, password, environment, log)
    port_file = folder / "superset.port"
    port_file.unlink(missing_ok=True)
    with log.open("ab") as output:
        process = subprocess.Popen([sys.executable, __file__, "serve", str(port_file)], env=environment,
                                   stdout=output, stderr=subprocess.STDOUT)
        try:
            port = wait_for(lambda: _announced_port(process, port_file, log), START_TIMEOUT, "Superset to listen")
            base_url = f"http://127.0.0.1:{port}"
            wait_for(lambda: _healthy(base_url), START_TIMEOUT, f"{base_url}/health")
            yield SupersetServer(base_url, username, password, home, environment, log)
        finally:
            stop_process(process)


# --- a small asset tree ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SampleTree:
    """A tree written by ``write_sample_tree``: where its files are and the uuids of its objects."""

    root: Path
    database_name: str
    table_name: str
    database: str
    dataset: str
    pie_chart: str
    table_chart: str
    dashboard: str

    def file(self, relative: str) -> Path:
        """A file of the tree, e.g. ``dashboards/charts/pages.yaml``."""
        return self.root / relative


SAMPLE_ROWS = [("2026-11-01 10:00:00", "home", 3), ("2026-11-01 11:00:00", "cart", 5),
               ("2026-11-02 09:30:00", "home", 2)]


def write_duckdb_events(path: Path, table: str) -> None:
    """A DuckDB file with a tiny ``main.<table>`` for the sample dataset."""
    import duckdb

    with duckdb.connect(str(path)) as connection:
        connection.execute(f"CREATE OR REPLACE TABLE {table} (event_time TIMESTAMP, page VARCHAR, n INTEGER)")
        connection.executemany(f"INSERT INTO {table} VALUES (CAST(? AS TIMESTAMP), ?, ?)", SAMPLE_ROWS)


def _chart_node(key: str, chart_id: int, uuid: str, title: str) -> dict[str, Any]:
    return {"children": [], "id": key, "type": "CHART", "parents": ["ROOT_ID", "GRID_ID", "ROW-1"],
            "meta": {"chartId": chart_id, "height": 50, "sliceName": title, "uuid": uuid, "width": 4}}


def _sample_documents(names: dict[str, str], duckdb_path: Path) -> dict[str, dict[str, Any]]:
    from superset_divolte import query_context
    from superset_divolte.assets import EnvString, TargetChoice

    table_params = {"all_columns": ["event_time", "page", "n"], "order_by_cols": [], "query_mode": "raw",
                    "row_limit": 100, "viz_type": "table"}
    return {
        "datasets/databases/analytics.yaml": {
            "database_name": names["database_name"], "uuid": names["database"], "expose_in_sqllab": True,
            "extra": {}, "sqlalchemy_uri": TargetChoice({
                "duckdb": f"duckdb:///{duckdb_path}",
                "druid": EnvString("druid://${DRUID_HOST:-127.0.0.1}:${DRUID_BROKER_PORT:-8082}/druid/v2/sql/")})},
        "datasets/datasets/analytics/events.yaml": {
            "table_name": names["table_name"], "uuid": names["dataset"], "database_uuid": names["database"],
            "schema": TargetChoice({"duckdb": "main", "druid": "druid"}), "main_dttm_col": "event_time",
            "columns": [{"column_name": "event_time", "is_dttm": True, "type": "TIMESTAMP"},
                        {"column_name": "page", "type": "VARCHAR", "verbose_name": "Page"},
                        {"column_name": "n", "type": "INTEGER"}],
            "metrics": [{"metric_name": "count", "expression": "COUNT(*)"},
                        {"metric_name": "total", "expression": "SUM(n)", "verbose_name": "Total"}]},
        "dashboards/charts/pages.yaml": {
            "slice_name": "Pages", "viz_type": "pie", "uuid": names["pie_chart"], "dataset_uuid": names["dataset"],
            "params": {"adhoc_filters": [], "groupby": ["page"], "metric": "count", "row_limit": 100,
                       "viz_type": "pie"}},
        "dashboards/charts/events_table.yaml": {
            "slice_name": "Events", "viz_type": "table", "uuid": names["table_chart"],
            "dataset_uuid": names["dataset"], "params": table_params,
            "query_context": query_context.build("table", table_params)},
        "dashboards/dashboards/overview.yaml": {
            "dashboard_title": f"Overview {names['database_name']}", "uuid": names["dashboard"],
            "metadata": {"color_scheme": "supersetColors", "refresh_frequency": 0,
                         "timed_refresh_immune_slices": [102]},
            "position": {
                "DASHBOARD_VERSION_KEY": "v2",
                "ROOT_ID": {"children": ["GRID_ID"], "id": "ROOT_ID", "type": "ROOT"},
                "GRID_ID": {"children": ["ROW-1"], "id": "GRID_ID", "parents": ["ROOT_ID"], "type": "GRID"},
                "ROW-1": {"children": ["CHART-pages", "CHART-events"], "id": "ROW-1", "type": "ROW",
                          "meta": {"background": "BACKGROUND_TRANSPARENT"}, "parents": ["ROOT_ID", "GRID_ID"]},
                # Ids unlike the ones Superset gives, so the export must map them back.
                "CHART-pages": _chart_node("CHART-pages", 101, names["pie_chart"], "Pages"),
                "CHART-events": _chart_node("CHART-events", 102, names["table_chart"], "Events")}},
    }


def write_sample_tree(root: Path) -> SampleTree:
    """A new tree in ``root`` with fresh uuids and a unique database name, plus its DuckDB file."""
    import uuid

    from superset_divolte.assets import dump_yaml

    names = {kind: str(uuid.uuid4()) for kind in ("database", "dataset", "pie_chart", "table_chart", "dashboard")}
    suffix = uuid.uuid4().hex[:8]
    # Unique names: Superset's SQLite metadata keeps table names unique across databases.
    names["database_name"], names["table_name"] = f"analytics_{suffix}", f"events_{suffix}"
    duckdb_path = root / "events.duckdb"
    root.mkdir(parents=True, exist_ok=True)
    write_duckdb_events(duckdb_path, names["table_name"])
    for relative, document in _sample_documents(names, duckdb_path).items():
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_text(dump_yaml(document), encoding="utf-8")
    return SampleTree(root=root, **names)


@pytest.fixture(scope="session")
def superset_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SupersetServer]:
    """An empty Superset 6.1.0 (admin only) serving on 127.0.0.1 for the whole test session."""
    with running_superset(tmp_path_factory.mktemp("superset-server"), ADMIN_PASSWORD) as server:
        yield server


def _init_child() -> None:
    """Child process: what ``superset db upgrade``, ``init`` and ``fab create-admin`` do, for the home."""
    from superset_divolte.superset_app import create_superset_app, ensure_admin, initialize

    home = SupersetHome(Path(os.environ[HOME_VARIABLE]))
    app = create_superset_app()
    initialize(home, app)
    ensure_admin(app, os.environ[PASSWORD_VARIABLE])


def _serve_child(port_file: Path) -> None:
    """Child process: serve the app on a port the OS picks, announced through ``port_file``."""
    from werkzeug.serving import make_server

    from superset_divolte.superset_app import create_superset_app

    server = make_server("127.0.0.1", 0, create_superset_app(), threaded=True)
    # Written under another name and renamed, so the parent never reads half a number.
    partial = port_file.with_suffix(".partial")
    partial.write_text(str(server.port))
    os.replace(partial, port_file)
    server.serve_forever()


if __name__ == "__main__":
    if sys.argv[1:2] == ["init"]:
        _init_child()
    elif sys.argv[1:2] == ["serve"] and len(sys.argv) == 3:
        _serve_child(Path(sys.argv[2]))
    else:
        sys.exit("usage: superset_server.py init | serve PORT_FILE")
