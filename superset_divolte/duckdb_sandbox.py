"""Every DuckDB connection Superset opens is sandboxed: its own database file and nothing else.

DuckDB can read and write any file the server can (``read_text``, ``COPY … TO``,
``ATTACH``), load extensions and change its own settings: through SQL Lab that
would hand the server's secrets to any analyst. ``enable_external_access = false``
closes the file system and extension loading, and ``lock_configuration = true``
stops ``SET`` from opening them again. The database files carry the same
settings (``extra.engine_params.connect_args.config``); ``sandbox_connection``
is Superset's ``DB_CONNECTION_MUTATOR`` and enforces them for every DuckDB
database, including one an admin adds in the UI.
"""

from __future__ import annotations

import sys
from typing import Any

from sqlalchemy.engine.url import URL

SANDBOX_CONFIG: dict[str, Any] = {"enable_external_access": False, "lock_configuration": True}
"""DuckDB settings every Superset connection to DuckDB opens with."""
ONE_PROCESS = (
    "DuckDB lets one process at a time open a database file for writing, so Superset serving DuckDB runs "
    "as one process: gunicorn --workers 1 --worker-class gthread --threads 8 (or superset-divolte demo); "
    "for several processes, serve the clickstream from Druid (--target druid)."
)


class MultiProcessDuckDB(SystemExit):
    """Superset is served by several processes while a database is in DuckDB."""


def gunicorn_workers() -> int | None:
    """Worker processes of the gunicorn serving this process; None when gunicorn does not serve it.

    Superset reads its configuration while gunicorn loads the application, in
    a worker (or, with --preload, in the arbiter): one of the calling frames
    belongs to an object holding gunicorn's configuration.
    """
    if "gunicorn" not in sys.modules:
        return None
    from gunicorn.config import Config

    frame = sys._getframe()
    while frame is not None:
        configuration = getattr(frame.f_locals.get("self"), "cfg", None)
        if isinstance(configuration, Config):
            return int(configuration.workers)
        frame = frame.f_back
    return None


def refuse_several_processes(databases: list[str]) -> None:
    """A ``MultiProcessDuckDB`` exit when gunicorn runs several workers and ``databases`` (DuckDB ones) exist."""
    workers = gunicorn_workers()
    if databases and workers is not None and workers > 1:
        raise MultiProcessDuckDB(f"superset-divolte: Superset will not start: gunicorn runs {workers} worker "
                                 f"processes and the database(s) {', '.join(databases)} are in DuckDB. {ONE_PROCESS}")


def duckdb_databases(metadata_uri: str) -> list[str]:
    """Names of the DuckDB databases in Superset's metadata (none before it is set up)."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.exc import SQLAlchemyError

    engine = create_engine(metadata_uri)
    try:
        with engine.connect() as connection:
            rows = connection.execute(text("SELECT database_name FROM dbs WHERE sqlalchemy_uri LIKE 'duckdb%'"))
            return sorted(str(row[0]) for row in rows)
    except SQLAlchemyError:
        return []
    finally:
        engine.dispose()


def is_duckdb(url: URL) -> bool:
    """True for a SQLAlchemy URL of the DuckDB dialect."""
    return url.drivername.split("+", 1)[0] == "duckdb"


def sandbox_connection(url: URL, params: dict[str, Any], *_: Any) -> tuple[URL, dict[str, Any]]:
    """Superset's ``DB_CONNECTION_MUTATOR``: DuckDB engines get the sandbox settings, others pass unchanged.

    duckdb-engine lets settings in the URL's query string override ``config``,
    so those are dropped from the URL.
    """
    if not is_duckdb(url):
        return url, params
    connect_args = dict(params.get("connect_args") or {})
    connect_args["config"] = {**(connect_args.get("config") or {}), **SANDBOX_CONFIG}
    return url.difference_update_query(SANDBOX_CONFIG), {**params, "connect_args": connect_args}
