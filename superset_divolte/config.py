"""Superset settings for superset-divolte, read from the environment.

``superset_config.py`` (the file ``SUPERSET_CONFIG_PATH`` points at) calls
``apply(globals())``; everything that decides a setting lives here. Secrets come
only from the environment, never from a file in the repository.
"""

from __future__ import annotations

import math
import os
import re
import sys
from collections import Counter
from pathlib import Path
from typing import Any, Mapping, MutableMapping

from superset_divolte.duckdb_sandbox import (
    MultiProcessDuckDB,
    duckdb_databases,
    gunicorn_workers,
    refuse_several_processes,
    sandbox_connection,
)
from superset_divolte.sql_macros import JINJA_MACROS

SECRET_KEY_VARIABLE = "SUPERSET_SECRET_KEY"
METADATA_URI_VARIABLE = "SUPERSET_DIVOLTE_METADATA_URI"
HOME_VARIABLE = "SUPERSET_HOME"
LOG_LEVEL_VARIABLE = "SUPERSET_DIVOLTE_LOG_LEVEL"
"""Superset's log level (INFO unless set; the demo sets ERROR unless --verbose)."""
REDIS_URL_VARIABLE = "SUPERSET_DIVOLTE_REDIS_URL"
LIVE_REFRESH_SECONDS = 10
"""The live dashboards' refresh: chart data is cached no longer than this, so a number is never staler."""
MIN_SECRET_KEY_LENGTH = 32
MIN_SECRET_KEY_BITS = 100
"""Least estimated entropy (length times the Shannon entropy of its characters) of an accepted key;
``openssl rand -base64 42`` gives about 300 bits, 32 hex digits about 120."""
PLACEHOLDER_KEY = re.compile(r"[A-Z_]+|(?i:.*(change_?me|your_own|random_generated|secret_key).*)")
"""An all-caps identifier, or text asking to be replaced, is a placeholder someone forgot to replace."""
REPEATED_RUN = re.compile(r"(.)\1{5,}", re.S)
"""Six or more of one character in a row: typed or padded, not drawn at random."""
WELL_KNOWN_SECRET_KEYS = frozenset({
    "CHANGE_ME_TO_A_COMPLEX_RANDOM_SECRET",
    "YOUR_OWN_RANDOM_GENERATED_SECRET_KEY",
    "\2\1thisismyscretkey\1\2\\e\\y\\y\\h",
    "thisismyscretkey",
    "TEST_NON_DEV_SECRET",
    "superset",
    "secret",
    "changeme",
})
HOW_TO_MAKE_A_KEY = (
    "Make one with:  export SUPERSET_SECRET_KEY=\"$(openssl rand -base64 42)\"\n"
    "  (or: python -c 'import secrets; print(secrets.token_urlsafe(42))')\n"
    "Keep it in your secret store: Superset encrypts database passwords with it."
)


class SecretKeyError(SystemExit):
    """Superset must not start: its secret key is missing or unsafe."""


def estimated_bits(key: str) -> float:
    """A key's length times the Shannon entropy of its characters: 0 for ``aaaa…``, about 6 a character at best."""
    counts = Counter(key)
    return sum(count * math.log2(len(key) / count) for count in counts.values())


def secret_key_from(environment: Mapping[str, str]) -> str:
    """The secret key from ``SUPERSET_SECRET_KEY``, or a ``SecretKeyError`` saying how to make one."""
    key = environment.get(SECRET_KEY_VARIABLE, "")
    if not key:
        problem = f"{SECRET_KEY_VARIABLE} is not set."
    elif not key.strip():
        problem = f"{SECRET_KEY_VARIABLE} is only blanks."
    elif key in WELL_KNOWN_SECRET_KEYS or PLACEHOLDER_KEY.fullmatch(key):
        problem = f"{SECRET_KEY_VARIABLE} is a well-known default or placeholder that anyone can look up."
    elif len(key) < MIN_SECRET_KEY_LENGTH:
        problem = f"{SECRET_KEY_VARIABLE} is {len(key)} characters long; use at least {MIN_SECRET_KEY_LENGTH}."
    elif estimated_bits(key) < MIN_SECRET_KEY_BITS or REPEATED_RUN.search(key):
        problem = (f"{SECRET_KEY_VARIABLE} is too predictable (about {estimated_bits(key):.0f} bits of entropy; "
                   f"use at least {MIN_SECRET_KEY_BITS}): repeated or few distinct characters.")
    else:
        return key
    raise SecretKeyError(f"superset-divolte: Superset will not start: {problem}\n{HOW_TO_MAKE_A_KEY}")


def home_from(environment: Mapping[str, str]) -> Path:
    """Superset's home folder: ``SUPERSET_HOME``, else ``~/.superset`` (Superset's own default)."""
    return Path(environment.get(HOME_VARIABLE) or Path.home() / ".superset")


def metadata_uri_from(environment: Mapping[str, str]) -> str:
    """Superset's metadata database: ``SUPERSET_DIVOLTE_METADATA_URI``, else SQLite in ``SUPERSET_HOME``."""
    if environment.get(METADATA_URI_VARIABLE):
        return environment[METADATA_URI_VARIABLE]
    return f"sqlite:///{home_from(environment) / 'superset.db'}"


def data_cache_from(environment: Mapping[str, str]) -> dict[str, Any]:
    """Chart data cached for one live refresh, in a store every Superset worker process shares.

    Twenty viewers of a dashboard refreshing every ``LIVE_REFRESH_SECONDS`` then cost the
    engine one query per chart per interval. Redis when ``SUPERSET_DIVOLTE_REDIS_URL`` is
    set (see ``redis_caches_from``), else files under the Superset home.
    """
    return {"CACHE_TYPE": "FileSystemCache", "CACHE_DIR": str(home_from(environment) / "cache" / "data"),
            "CACHE_DEFAULT_TIMEOUT": LIVE_REFRESH_SECONDS, "CACHE_THRESHOLD": 10_000}


SELF_HOSTED_CONTENT_SECURITY_POLICY = {
    "base-uri": ["'self'"],
    "default-src": ["'self'"],
    # Superset 6.1.0's released frontend always renders a telemetry pixel from a
    # third-party host (only a source build can leave it out); its default policy
    # allows that host. This one allows only Superset itself, so browsers never ask.
    "img-src": ["'self'", "blob:", "data:"],
    "worker-src": ["'self'", "blob:"],
    "connect-src": ["'self'"],
    "object-src": "'none'",
    "style-src": ["'self'", "'unsafe-inline'"],
    "font-src": ["'self'"],
    "script-src": ["'self'", "'strict-dynamic'"],
}


SELF_HOSTED_TALISMAN_CONFIG = {
    "content_security_policy": SELF_HOSTED_CONTENT_SECURITY_POLICY,
    "content_security_policy_nonce_in": ["script-src"],
    "force_https": False,
    "session_cookie_secure": False,
}


def redis_caches_from(environment: Mapping[str, str]) -> dict[str, Any]:
    """Superset's metadata, chart-data, filter-state and explore caches on Redis.

    Only when ``SUPERSET_DIVOLTE_REDIS_URL`` is set.
    Several Superset workers then share them (the Docker stack; production).
    """
    url = environment.get(REDIS_URL_VARIABLE)
    if not url:
        return {}
    def cache(prefix: str, timeout: int = 86_400) -> dict[str, Any]:
        return {"CACHE_TYPE": "RedisCache", "CACHE_REDIS_URL": url, "CACHE_KEY_PREFIX": prefix,
                "CACHE_DEFAULT_TIMEOUT": timeout}
    return {
        "CACHE_CONFIG": cache("superset_metadata_"),
        "DATA_CACHE_CONFIG": cache("superset_data_", LIVE_REFRESH_SECONDS),
        "FILTER_STATE_CACHE_CONFIG": cache("superset_filter_state_"),
        "EXPLORE_FORM_DATA_CACHE_CONFIG": cache("superset_explore_form_data_"),
        "RATELIMIT_STORAGE_URI": url,
    }


def settings_from(environment: Mapping[str, str]) -> dict[str, Any]:
    """Every Superset setting this add-on decides, for the given environment."""
    from superset_divolte.request_log import event_logger_from
    from superset_divolte.viz_plugins import blueprint as plugin_blueprint

    return {
        "SECRET_KEY": secret_key_from(environment),
        "SQLALCHEMY_DATABASE_URI": metadata_uri_from(environment),
        "FEATURE_FLAGS": {
            "DYNAMIC_PLUGINS": True,
            "ENABLE_TEMPLATE_PROCESSING": True,
            "DASHBOARD_RBAC": False,
        },
        "JINJA_CONTEXT_ADDONS": dict(JINJA_MACROS),
        "BLUEPRINTS": [plugin_blueprint],
        "DATA_CACHE_CONFIG": data_cache_from(environment),
        # A dashboard's own periodic refresh asks for cached data ("force" would bypass the
        # cache on every tick), so its viewers share one query per chart per refresh.
        "DASHBOARD_AUTO_REFRESH_MODE": "fetch",
        "SUPERSET_WEBSERVER_TIMEOUT": 120,
        "LOG_LEVEL": environment.get(LOG_LEVEL_VARIABLE, "INFO").upper(),
        # Migrations log through Superset's own logging (and its level), not alembic.ini's.
        "ALEMBIC_SKIP_LOG_CONFIG": True,
        "ROW_LIMIT": 50_000,
        # SQL Lab users must not reach the server's files through DuckDB.
        "DB_CONNECTION_MUTATOR": sandbox_connection,
        "EVENT_LOGGER": event_logger_from(environment),
        "TALISMAN_ENABLED": True,
        "TALISMAN_CONFIG": SELF_HOSTED_TALISMAN_CONFIG,
        "TALISMAN_DEV_CONFIG": SELF_HOSTED_TALISMAN_CONFIG,
        **redis_caches_from(environment),
    }


def apply(namespace: MutableMapping[str, Any], environment: Mapping[str, str] | None = None) -> None:
    """Fill a ``superset_config`` module's namespace; exit with a message if Superset must not start."""
    try:
        settings = settings_from(os.environ if environment is None else environment)
        if gunicorn_workers() is not None:
            refuse_several_processes(duckdb_databases(settings["SQLALCHEMY_DATABASE_URI"]))
        namespace.update(settings)
    except SystemExit as error:
        print(error.code, file=sys.stderr)
        if isinstance(error, MultiProcessDuckDB):
            from gunicorn.arbiter import Arbiter

            # The exit status that makes gunicorn stop instead of starting the worker again.
            raise SystemExit(Arbiter.WORKER_BOOT_ERROR) from error
        raise
