"""Superset on DuckDB under a real gunicorn: several worker processes are refused at start, one process serves.

DuckDB lets one process at a time open a file for writing; with four workers most
chart requests failed on its file lock. The server now says so before serving.
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
from pathlib import Path
from typing import Iterator

import requests

from conftest import ProvisionedDemo
from superset_divolte.superset_client import SupersetClient
from superset_server import stop_process, wait_for
from test_demo_serve import DONUT, _free_port

GUNICORN = str(Path(sys.executable).with_name("gunicorn"))
APP = "superset.app:create_app()"


@contextlib.contextmanager
def gunicorn(demo: ProvisionedDemo, log: Path, *options: str) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """gunicorn serving the demo's home with ``options`` on a free loopback port; stopped after the block."""
    port = _free_port()
    with log.open("wb") as output:
        process = subprocess.Popen([GUNICORN, *options, "--bind", f"127.0.0.1:{port}", "--timeout", "120", APP],
                                   env=demo.server.environment, stdout=output, stderr=subprocess.STDOUT)
        try:
            yield process, f"http://127.0.0.1:{port}"
        finally:
            stop_process(process)


def _healthy(url: str) -> bool:
    try:
        return requests.get(f"{url}/health", timeout=5).status_code == 200
    except requests.RequestException:
        return False


def test_four_workers_are_refused_at_start_naming_the_setting_that_works(demo: ProvisionedDemo,
                                                                         tmp_path: Path) -> None:
    log = tmp_path / "gunicorn.log"
    with gunicorn(demo, log, "--workers", "4") as (process, url):
        wait_for(lambda: process.poll() is not None, 240, "gunicorn to give up")
        assert not _healthy(url)
    assert process.returncode != 0
    output = log.read_text(errors="replace")
    assert "gunicorn runs 4 worker processes" in output and "Clickstream" in output, output[-3000:]
    assert "--workers 1 --worker-class gthread --threads 8" in output


def test_one_process_with_threads_serves_the_charts(demo: ProvisionedDemo, tmp_path: Path) -> None:
    log = tmp_path / "gunicorn.log"
    with gunicorn(demo, log, "--workers", "1", "--worker-class", "gthread", "--threads", "8") as (process, url):
        wait_for(lambda: _healthy(url) or process.poll() is not None, 240, "gunicorn to serve")
        assert process.poll() is None, log.read_text(errors="replace")[-3000:]
        with SupersetClient(url, demo.server.username, demo.server.password) as client:
            chart_id = next(item["id"] for item in client.list_objects("chart") if item["name"] == DONUT)
            for _ in range(4):
                data = client.chart_data_from_saved_context(chart_id)["result"][0]["data"]
                assert {row["technology"]: row["clicks"] for row in data} == demo.ground_truth["clicks_by_technology"]
