"""Run a real Superset 6.1.0 for tests, and drive it from Chromium.

Everything here starts real processes on 127.0.0.1 and stops exactly the
processes it started. Self-contained, so the viz-plugin tests need no other
fixtures; other browser tests reuse chart_reader.py, not this module.
"""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
from superset_server import wait_for

REPO_ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS_DIR = REPO_ROOT / "test-artifacts"
RUNNER = Path(__file__).with_name("run_superset.py")

ADMIN_USER = "admin"
# A throwaway instance on loopback; the password only has to be known to the tests.
ADMIN_PASSWORD = "viz-plugins-test-admin"

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

def superset_cli() -> Path:
    """The ``superset`` console script of the interpreter running the tests."""
    return Path(sys.executable).with_name("superset")


def write_config(directory: Path, db_path: Path, extra: str = "") -> Path:
    """Write a superset_config.py wiring our blueprint and DYNAMIC_PLUGINS.

    ``extra`` is appended verbatim, for callers that need more settings.
    """
    config = directory / "superset_config.py"
    config.write_text(
        "\n".join(
            [
                '"""Config of a throwaway Superset used by the viz-plugin tests."""',
                f"SECRET_KEY = {secrets.token_urlsafe(48)!r}",
                f"SQLALCHEMY_DATABASE_URI = {('sqlite:///' + str(db_path))!r}",
                'FEATURE_FLAGS = {"DYNAMIC_PLUGINS": True}',
                "from superset_divolte.viz_plugins import blueprint as _viz_plugins",
                "BLUEPRINTS = [_viz_plugins]",
                "# The tests register a SQLite file as an analytics database.",
                "PREVENT_UNSAFE_DB_CONNECTIONS = False",
                extra,
                "",
            ]
        ),
        encoding="utf-8",
    )
    return config


def superset_env(config: Path) -> dict[str, str]:
    """Environment for Superset processes using ``config``."""
    env = dict(os.environ)
    env["SUPERSET_CONFIG_PATH"] = str(config)
    env["FLASK_APP"] = "superset.app:create_app()"
    env.setdefault("PYTHONUNBUFFERED", "1")
    return env


def _run_cli(args: list[str], env: dict[str, str], log: Path, timeout: float) -> None:
    """Run one ``superset`` CLI command, failing with its log on error."""
    with log.open("a", encoding="utf-8") as out:
        out.write(f"\n$ superset {' '.join(args)}\n")
        out.flush()
        result = subprocess.run(
            [str(superset_cli()), *args],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            timeout=timeout,
            check=False,
        )
    if result.returncode != 0:
        tail = log.read_text(encoding="utf-8")[-4000:]
        raise RuntimeError(f"superset {args[0]} failed ({result.returncode}):\n{tail}")


def _initialise(config: Path, log: Path) -> None:
    """Migrate the metadata DB, create the admin user, sync roles and permissions."""
    env = superset_env(config)
    _run_cli(["db", "upgrade"], env, log, timeout=600)
    _run_cli(
        [
            "fab", "create-admin",
            "--username", ADMIN_USER,
            "--firstname", "Test",
            "--lastname", "Admin",
            "--email", "admin@example.invalid",
            "--password", ADMIN_PASSWORD,
        ],
        env,
        log,
        timeout=300,
    )
    _run_cli(["init"], env, log, timeout=600)


def prepare_metadata_db(workdir: Path) -> Path:
    """A migrated, initialised metadata DB at ``workdir/superset.db`` (about 20 s)."""
    db_path = workdir / "superset.db"
    build_dir = workdir / "prepare"
    build_dir.mkdir(parents=True, exist_ok=True)
    _initialise(write_config(build_dir, db_path), workdir / "prepare.log")
    return db_path


@dataclass
class SupersetServer:
    """A Superset web server subprocess on 127.0.0.1, started from a config file."""

    config: Path
    log: Path
    process: subprocess.Popen[bytes] | None = None
    port: int | None = None
    _log_file: Any = field(default=None, repr=False)

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT``."""
        if self.port is None:
            raise RuntimeError("server not started")
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 180) -> None:
        """Start the server and wait until /health answers."""
        port_file = self.log.with_suffix(".port")
        port_file.unlink(missing_ok=True)
        self._log_file = self.log.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, str(RUNNER), str(port_file)],
            env=superset_env(self.config),
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
        )
        wait_for(lambda: self._read_port(port_file), timeout, "Superset to listen")
        wait_for(self._healthy, timeout, "Superset /health")

    def _read_port(self, port_file: Path) -> int | None:
        """The announced port, or None yet; fails at once if the server died."""
        assert self.process is not None
        if self.process.poll() is not None:
            tail = self.log.read_text(encoding="utf-8", errors="replace")[-4000:]
            raise RuntimeError(f"Superset exited with {self.process.returncode}:\n{tail}")
        if not port_file.exists():
            return None
        self.port = int(port_file.read_text(encoding="utf-8"))
        return self.port

    def _healthy(self) -> bool:
        try:
            return requests.get(f"{self.base_url}/health", timeout=5).status_code == 200
        except requests.RequestException:
            return False

    def stop(self) -> None:
        """Terminate the process this object started, and only that one."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=30)
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None


@contextmanager
def running_superset(config: Path, log: Path) -> Iterator[SupersetServer]:
    """Context manager form of :class:`SupersetServer`."""
    server = SupersetServer(config=config, log=log)
    try:
        server.start()
        yield server
    finally:
        server.stop()


def api_session(base_url: str) -> requests.Session:
    """A requests session logged in as the admin, sending the CSRF token.

    Uses the same form login as a browser, so the session cookie and the
    CSRF token are the ones Superset's own frontend would use.
    """
    session = requests.Session()
    login_page = session.get(f"{base_url}/login/", timeout=30)
    login_page.raise_for_status()
    token = _csrf_from_login_page(login_page.text)
    response = session.post(
        f"{base_url}/login/",
        data={"username": ADMIN_USER, "password": ADMIN_PASSWORD, "csrf_token": token},
        timeout=30,
    )
    response.raise_for_status()
    csrf = session.get(f"{base_url}/api/v1/security/csrf_token/", timeout=30)
    csrf.raise_for_status()
    session.headers["X-CSRFToken"] = csrf.json()["result"]
    session.headers["Referer"] = base_url
    return session


def _csrf_from_login_page(html: str) -> str:
    """The CSRF token embedded in the login page's bootstrap data."""
    match = re.search(r'csrf_token["\']?\s*(?:value=|:)\s*["\']([^"\']+)', html)
    if not match:
        raise RuntimeError("no CSRF token on the login page")
    return match.group(1)


def launch_chromium(playwright: Any) -> Any:
    """Debian's Chromium, driven by Playwright (never a downloaded browser)."""
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


def browser_login(page: Any, base_url: str) -> None:
    """Log in through Superset's login form as the admin."""
    page.goto(f"{base_url}/login/")
    page.locator("input[name=username], #username").first.fill(ADMIN_USER)
    page.locator("input[name=password], #password").first.fill(ADMIN_PASSWORD)
    page.locator("button[type=submit], [data-test=login-button]").first.click()
    page.wait_for_url(lambda url: "/login" not in url, timeout=60_000)
