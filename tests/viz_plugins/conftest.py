"""Fixtures of the viz-plugin tests: npm dependencies, a real Superset, Chromium."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .harness import (
    ARTIFACTS_DIR,
    REPO_ROOT,
    SupersetServer,
    launch_chromium,
    prepare_metadata_db,
    write_config,
)

VIZ_PLUGINS_DIR = REPO_ROOT / "viz-plugins"


def _npm_installed() -> bool:
    """node_modules exists and was installed from the current lockfile."""
    marker = VIZ_PLUGINS_DIR / "node_modules" / ".package-lock.json"
    lock = VIZ_PLUGINS_DIR / "package-lock.json"
    return marker.exists() and marker.stat().st_mtime >= lock.stat().st_mtime


@pytest.fixture(scope="session")
def node_modules() -> Path:
    """viz-plugins/ with its locked npm dependencies installed (``npm ci`` if needed)."""
    npm = shutil.which("npm")
    assert npm, "npm is required for the viz-plugin tests"
    if not _npm_installed():
        subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund"],
            cwd=VIZ_PLUGINS_DIR,
            check=True,
            timeout=600,
        )
    return VIZ_PLUGINS_DIR


@pytest.fixture(scope="session")
def superset_workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Folder of this session's Superset: metadata DB, config, logs."""
    return tmp_path_factory.mktemp("superset")


@pytest.fixture(scope="session")
def superset_config(superset_workdir: Path) -> Path:
    """A migrated metadata DB with an admin, and a config using our blueprint."""
    db_path = prepare_metadata_db(superset_workdir)
    return write_config(superset_workdir, db_path)


@pytest.fixture(scope="session")
def superset_server(superset_config: Path, superset_workdir: Path) -> Iterator[SupersetServer]:
    """A running Superset 6.1.0 with the blueprint and DYNAMIC_PLUGINS on."""
    server = SupersetServer(config=superset_config, log=superset_workdir / "server.log")
    try:
        server.start()
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def metadata_db(superset_workdir: Path) -> Path:
    """The SQLite metadata DB the server uses."""
    return superset_workdir / "superset.db"


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    """Debian's Chromium under Playwright, for the whole session."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    """test-artifacts/ (git-ignored), for screenshots and logs worth keeping."""
    ARTIFACTS_DIR.mkdir(exist_ok=True)
    return ARTIFACTS_DIR
