"""Shared fixtures: the demo provisioned into a temporary home, served by a real Superset 6.1.0."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Iterator

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from superset_server import SupersetServer, running_superset  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
ARTIFACTS = REPO / "test-artifacts"
TEST_PASSWORD = "test-admin-password-1"
DEMO_EVENTS = 60_000
FRIDAY = 4


def _latest_friday_midnight() -> datetime:
    today = datetime.now(timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)
    return today - timedelta(days=(today.weekday() - FRIDAY) % 7)


DEMO_END = _latest_friday_midnight().isoformat()
"""The fixture's events end at the latest Friday 00:00 (UTC). The generator's weekly rhythm then lays out the
same events every week, shifted by whole weeks, so what the tests rely on (a decisive experiment over
sessions, say) holds on any date; and the charts' ranges relative to now ("Last week", "last 28 days") still
hold at least a day of them. Every fixed range of the tests is derived from it."""


@dataclass(frozen=True)
class ProvisionedDemo:
    """The demo's home after ``superset-divolte demo --no-serve``, and Superset serving it."""

    server: SupersetServer
    home: Path
    ground_truth: dict[str, Any]
    demo_output: str


def run_cli(*args: str, env: dict[str, str] | None = None, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run the ``superset-divolte`` command as a user would."""
    result = subprocess.run([sys.executable, "-m", "superset_divolte.cli", *args], cwd=REPO, env=env,
                            capture_output=True, text=True, timeout=900, check=False)
    if check and result.returncode != 0:
        raise AssertionError(f"superset-divolte {' '.join(args)} failed ({result.returncode}):\n{result.stderr[-4000:]}")
    return result


def start_interruptible_cli(*args: str) -> subprocess.Popen[str]:
    """``superset-divolte`` as a child that a SIGINT reaches as a Ctrl-C, its stderr piped.

    A shell without job control starts background commands with SIGINT ignored, and Python
    then installs no Ctrl-C handler: the child gets SIGINT's default disposition back here.
    """
    import signal

    return subprocess.Popen([sys.executable, "-m", "superset_divolte.cli", *args], cwd=REPO,
                            stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))


def demo_environment() -> dict[str, str]:
    """The environment of a person running the demo: no Superset settings of the test process."""
    environment = {key: value for key, value in os.environ.items()
                   if not key.startswith(("SUPERSET_", "SUPERSET_DIVOLTE_"))}
    environment["SUPERSET_DIVOLTE_ADMIN_PASSWORD"] = TEST_PASSWORD
    return environment


def provision_demo(home: Path) -> subprocess.CompletedProcess[str]:
    """``superset-divolte demo --no-serve`` into ``home`` with the tests' fixed data."""
    return run_cli("demo", "--no-serve", "--home", str(home), "--events", str(DEMO_EVENTS),
                   "--end", DEMO_END, "--seed", "42", env=demo_environment())


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """Where tests keep screenshots for people to look at."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ProvisionedDemo]:
    """The demo provisioned once per test session, with Superset serving it on 127.0.0.1."""
    folder = tmp_path_factory.mktemp("demo")
    first = provision_demo(folder / "home")
    truth = json.loads((folder / "home" / "ground_truth.json").read_text())
    with running_superset(folder, TEST_PASSWORD) as server:
        yield ProvisionedDemo(server, folder / "home", truth, first.stderr)


from superset_server import superset_server  # noqa: E402,F401  (an empty Superset, for client and export tests)
