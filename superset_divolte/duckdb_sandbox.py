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

from typing import Any

from sqlalchemy.engine.url import URL

SANDBOX_CONFIG: dict[str, Any] = {"enable_external_access": False, "lock_configuration": True}
"""DuckDB settings every Superset connection to DuckDB opens with."""


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
