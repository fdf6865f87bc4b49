"""The embedded demo: Superset on SQLite metadata, the clickstream in DuckDB, no containers.

``prepare`` makes (or reuses) a home with generated events, an admin and the
provisioned assets; ``serve`` runs Superset on 127.0.0.1 while a trickle of
new logo clicks keeps arriving, as in the original Divolte demo.
"""

from __future__ import annotations

import json
import os
import random
import signal
import sys
import threading
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from superset_divolte import event_store, ground_truth
from superset_divolte.assets import load_tree
from superset_divolte.config import LOG_LEVEL_VARIABLE
from superset_divolte.bundle import Bundle, build_bundle
from superset_divolte.events import GeneratorSettings, generate_events, live_events
from superset_divolte.progress import ProgressPrinter
from superset_divolte.provision import ProvisionReport, provision_local
from superset_divolte.superset_app import (
    ADMIN_PASSWORD_VARIABLE,
    ADMIN_USERNAME,
    SupersetHome,
    create_superset_app,
    ensure_admin,
    initialize,
)

if TYPE_CHECKING:
    from flask import Flask

TARGET = "duckdb"


@dataclass(frozen=True)
class DemoSettings:
    """Where the demo lives and what it generates."""

    home: Path
    assets: Path
    generator: GeneratorSettings
    regenerate: bool = False
    verbose: bool = False
    """Keep Superset's and the migrations' INFO logs (hundreds of lines on a first run)."""

    @property
    def duckdb_path(self) -> Path:
        """The DuckDB file holding the clickstream."""
        return self.home / "clickstream.duckdb"

    @property
    def ground_truth_path(self) -> Path:
        """Exact counts of the generated events, for checking the dashboards."""
        return self.home / "ground_truth.json"


def generate_clickstream(settings: DemoSettings, out: TextIO = sys.stderr) -> int:
    """Generate the demo's events into DuckDB with their ground truth, unless they exist.

    Returns the number of events in the table afterwards.
    """
    existing = event_store.count_events(settings.duckdb_path)
    if existing and not settings.regenerate:
        print(f"reusing {existing:,} events in {settings.duckdb_path}", file=out)
        return existing
    settings.duckdb_path.unlink(missing_ok=True)
    records = generate_events(settings.generator, ProgressPrinter("generating events", out))
    truth = ground_truth.compute(records)
    event_store.write_events(settings.duckdb_path, records, progress=ProgressPrinter("writing to DuckDB", out))
    settings.ground_truth_path.write_text(json.dumps(truth, indent=2, sort_keys=True))
    return len(records)


@dataclass(frozen=True)
class Login:
    """How to sign in to the demo's Superset: printed last, where a first-time user looks."""

    home: Path
    password: str | None
    """The admin password when this run made it up; None when it was chosen or made on an earlier run."""

    def text(self, url: str) -> str:
        """The lines to print under the URL."""
        if self.password:
            secret = f"password: {self.password}  (made up now and shown once: note it)"
        elif os.environ.get(ADMIN_PASSWORD_VARIABLE):
            secret = f"password: the one in {ADMIN_PASSWORD_VARIABLE}"
        else:
            secret = "password: the one shown when this home was first prepared"
        home = self.home
        reset = (f'SUPERSET_HOME={home} SUPERSET_CONFIG_PATH={home / "superset_config.py"} '
                 f'SUPERSET_SECRET_KEY="$(cat {home / "secret_key"})" '
                 f"superset fab reset-password --username {ADMIN_USERNAME} --password NEW-PASSWORD")
        return (f"\nSuperset: {url}\n  user: {ADMIN_USERNAME}\n  {secret}\n"
                f"  a new password: {reset}\n")


def prepare(settings: DemoSettings, out: TextIO = sys.stderr) -> tuple["Flask", Bundle, ProvisionReport, Login]:
    """Make or reuse the home: events, metadata, admin, provisioned assets."""
    home = SupersetHome(settings.home)
    if not settings.verbose:
        os.environ.setdefault(LOG_LEVEL_VARIABLE, "ERROR")
    home.prepare_environment()
    os.environ[event_store.DUCKDB_PATH_VARIABLE] = str(settings.duckdb_path.resolve())
    generate_clickstream(settings, out)
    app = create_superset_app()
    initialize(home, app)
    password = ensure_admin(app, os.environ.get(ADMIN_PASSWORD_VARIABLE))
    bundle = build_bundle(load_tree(settings.assets), TARGET)
    report = provision_local(app, bundle)
    print(report.summary(), file=out)
    return app, bundle, report, Login(settings.home, password)


class Trickle(threading.Thread):
    """Appends a few fresh logo clicks to the clickstream every few seconds until stopped."""

    def __init__(self, app: "Flask", database_uuid: str, interval_s: float = 3.0, seed: int = 7) -> None:
        super().__init__(name="clickstream-trickle", daemon=True)
        self.app = app
        self.database_uuid = database_uuid
        self.interval_s = interval_s
        self.rng = random.Random(seed)
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(self.interval_s):
            self.append(live_events(self.rng, datetime.now(timezone.utc), self.rng.randint(1, 4)))

    def append(self, records: list[dict]) -> None:
        """Write through Superset's own engine for the database.

        DuckDB shares one instance per file within a process and refuses a
        second connection configured differently, so the trickle connects
        exactly as Superset's chart queries do.
        """
        from superset import db
        from superset.models.core import Database

        with self.app.app_context():
            database = db.session.query(Database).filter_by(uuid=self.database_uuid).one()
            with database.get_sqla_engine() as engine, engine.connect() as connection:
                event_store.append_events(connection.connection.driver_connection, records)

    def stop(self) -> None:
        """Ask the thread to end after its current batch, and wait for it."""
        self.stopped.set()
        self.join(timeout=30)


DASHBOARD_PATH = "/superset/dashboard/technology-popularity/"


def serve(app: "Flask", database_uuid: str, port: int, login: Login, out: TextIO = sys.stderr) -> None:
    """Serve Superset on 127.0.0.1:``port`` with the trickle running; Ctrl-C stops both."""
    # Ctrl-C and a plain kill both end the server loop, so the trickle is always stopped.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    trickle = Trickle(app, database_uuid)
    trickle.start()
    print(login.text(f"http://127.0.0.1:{port}{DASHBOARD_PATH}") + "Ctrl-C stops it.", file=out, flush=True)
    try:
        app.run(host="127.0.0.1", port=port, threaded=True, use_reloader=False, debug=False)
    except KeyboardInterrupt:
        pass
    finally:
        trickle.stop()
        print("stopped Superset and the trickle", file=out)
