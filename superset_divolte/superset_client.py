"""A thin REST client for a running Superset 6.1.0.

Logs in once (database provider) for a JWT, fetches a CSRF token for writes,
and keeps one ``requests.Session`` so the session cookie the token is bound to
travels with every request. Errors are typed and say what to check:
``SupersetUnreachable``, ``SupersetAuthenticationError``, ``SupersetApiError``.

The password never comes from a command-line flag (it would end up in shell
history and in ``ps``): ``password_from_environment_or_prompt`` reads it from
the environment or asks on a terminal.
"""

from __future__ import annotations

import getpass
import io
import json
import os
import sys
import zipfile
from pathlib import PurePosixPath
from typing import Any, Mapping
from urllib.parse import urlsplit

import prison
import requests

PASSWORD_VARIABLE = "SUPERSET_DIVOLTE_PASSWORD"
DEFAULT_TIMEOUT = 60.0
PAGE_SIZE = 100
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
OBJECT_KINDS = ("chart", "dataset", "dashboard", "database")
NAME_COLUMNS = {
    "chart": "slice_name",
    "dataset": "table_name",
    "dashboard": "dashboard_title",
    "database": "database_name",
}
"""The column holding each kind's display name in Superset's list endpoints."""


class SupersetClientError(Exception):
    """Something went wrong talking to Superset."""


class SupersetUnreachable(SupersetClientError):
    """No HTTP answer from Superset at all."""


class SupersetAuthenticationError(SupersetClientError):
    """Superset refused the username or password."""


class SupersetApiError(SupersetClientError):
    """Superset answered an API call with an error status."""

    def __init__(self, status: int, method: str, url: str, message: str) -> None:
        self.status = status
        self.url = url
        self.superset_message = message
        super().__init__(f"Superset answered {method} {url} with HTTP {status}: {message}")


class BadSupersetUrl(SupersetClientError):
    """The Superset URL is not an http(s) URL with a host."""


def checked_base_url(base_url: str) -> str:
    """``base_url`` without a trailing slash; ``BadSupersetUrl`` unless it is http(s)://host[:port][/path]."""
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise BadSupersetUrl(f"the Superset URL {base_url!r} is not an http(s) URL with a host: "
                             "write it as http://HOST:PORT (or https://HOST when Superset is behind TLS)")
    return base_url.rstrip("/")


class MissingPassword(SupersetClientError):
    """No password in the environment and no terminal to ask on."""


def password_from_environment_or_prompt(variable: str = PASSWORD_VARIABLE, username: str = "admin") -> str:
    """The Superset password from ``variable``, else asked on the terminal.

    Without a terminal (CI, a pipe) there is nobody to ask: the error names the variable.
    """
    password = os.environ.get(variable)
    if password:
        return password
    if not sys.stdin.isatty():
        raise MissingPassword(f"no Superset password: set {variable} in the environment "
                              "(standard input is not a terminal, so it cannot be asked for)")
    return getpass.getpass(f"Superset password for {username}: ")


def _superset_message(response: requests.Response) -> str:
    """The most useful error text in a Superset error response."""
    if "html" in response.headers.get("Content-Type", ""):
        # Unhandled server errors come back as Superset's HTML error page: no message in it.
        return f"{response.reason} (an HTML error page; the Superset server's log has the traceback)"
    try:
        body = response.json()
    except ValueError:
        return response.text.strip()[:500] or response.reason
    if not isinstance(body, dict):
        return str(body)[:500]
    parts = []
    if body.get("message"):
        parts.append(body["message"] if isinstance(body["message"], str) else json.dumps(body["message"]))
    for error in body.get("errors") or []:
        parts.append(str(error.get("message", "")))
        if error.get("extra"):
            # Import errors carry per-file schema messages here.
            parts.append(json.dumps(error["extra"], sort_keys=True, default=str))
    return "; ".join(part for part in parts if part) or json.dumps(body)[:500]


def _strip_root(name: str) -> str:
    """``assets_export_…/charts/x.yaml`` -> ``charts/x.yaml``: the ZIP's one root folder goes."""
    return str(PurePosixPath(*PurePosixPath(name).parts[1:]))


def unzip_contents(data: bytes) -> dict[str, str]:
    """The YAML files of an export ZIP, keyed by path without the root folder."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {_strip_root(name): archive.read(name).decode("utf-8")
                for name in archive.namelist()
                if not name.endswith("/") and name.lower().endswith((".yaml", ".yml"))}


class SupersetClient:
    """A logged-in conversation with one Superset; logs in lazily, on the first call."""

    def __init__(self, base_url: str, username: str, password: str, timeout: float = DEFAULT_TIMEOUT) -> None:
        self.base_url = checked_base_url(base_url)
        self.username = username
        self._password = password
        self.timeout = timeout
        self.session = requests.Session()
        self._csrf_token: str | None = None

    def __repr__(self) -> str:
        # Never the password.
        return f"SupersetClient({self.base_url!r}, username={self.username!r})"

    def __enter__(self) -> "SupersetClient":
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the HTTP session."""
        self.session.close()

    def url(self, path: str) -> str:
        """The absolute URL of an API path such as ``/api/v1/chart/``."""
        return f"{self.base_url}{path}"

    def _send(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        url = self.url(path)
        try:
            return self.session.request(method, url, timeout=self.timeout, **kwargs)
        except requests.exceptions.SSLError as error:
            raise SupersetUnreachable(
                f"cannot reach Superset at {url}: TLS failed ({error}); check whether the server "
                "speaks https or plain http and use the matching scheme in the URL") from error
        except (requests.ConnectionError, requests.Timeout) as error:
            raise SupersetUnreachable(
                f"cannot reach Superset at {url}: {type(error).__name__}; check that Superset is running, "
                f"that it listens on that host and port, and whether it expects http or https") from error

    def login(self) -> None:
        """Get a JWT (database login) and a CSRF token; ``SupersetAuthenticationError`` on a bad password."""
        payload = {"username": self.username, "password": self._password, "provider": "db", "refresh": True}
        response = self._send("POST", "/api/v1/security/login", json=payload)
        if response.status_code == 401:
            raise SupersetAuthenticationError(
                f"login to Superset at {self.base_url} as {self.username} failed: wrong username or password; "
                f"the password comes from {PASSWORD_VARIABLE} or the prompt")
        self._raise_for_status(response, "POST")
        self.session.headers["Authorization"] = f"Bearer {response.json()['access_token']}"
        csrf = self._send("GET", "/api/v1/security/csrf_token/")
        self._raise_for_status(csrf, "GET")
        self._csrf_token = csrf.json()["result"]

    def _raise_for_status(self, response: requests.Response, method: str) -> None:
        if response.status_code >= 400:
            raise SupersetApiError(response.status_code, method, response.url, _superset_message(response))

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        """An authenticated API call; ``SupersetApiError`` when Superset answers with an error."""
        if "Authorization" not in self.session.headers:
            self.login()
        response = self._send_authenticated(method, path, kwargs)
        if response.status_code == 401:
            # Access tokens live minutes by default: a long session logs in again, once.
            self.login()
            response = self._send_authenticated(method, path, kwargs)
        self._raise_for_status(response, method)
        return response

    def _send_authenticated(self, method: str, path: str, kwargs: dict[str, Any]) -> requests.Response:
        arguments = dict(kwargs)
        if method.upper() not in SAFE_METHODS:
            # Superset's CSRF protection wants the token (bound to the session cookie) and a Referer on writes.
            arguments["headers"] = {"X-CSRFToken": self._csrf_token or "", "Referer": self.base_url,
                                    **kwargs.get("headers", {})}
        return self._send(method, path, **arguments)

    def get_json(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        """The JSON body of a GET."""
        return self.request("GET", path, params=params).json()

    def import_assets(self, zip_bytes: bytes, passwords: Mapping[str, str] | None = None) -> None:
        """Import a bundle ZIP through ``/api/v1/assets/import/`` (which always overwrites).

        ``passwords`` maps a database file path (``databases/x.yaml``) to its
        password; it travels only in the form field, never inside the ZIP.
        """
        files = {"bundle": ("bundle.zip", zip_bytes, "application/zip")}
        data = {"passwords": json.dumps(dict(passwords or {}))}
        self.request("POST", "/api/v1/assets/import/", files=files, data=data)

    def export_assets(self) -> dict[str, str]:
        """Every asset Superset holds, as export contents: ``charts/x.yaml`` -> YAML text."""
        return unzip_contents(self.request("GET", "/api/v1/assets/export/").content)

    def chart(self, chart_id: int) -> dict[str, Any]:
        """One chart's fields (``GET /api/v1/chart/{id}``), ``query_context`` included."""
        return self.get_json(f"/api/v1/chart/{chart_id}")["result"]

    def chart_data(self, chart_id: int, force: bool = True) -> dict[str, Any]:
        """Run a chart's saved query context on the server (``GET /api/v1/chart/{id}/data/``)."""
        params = {"force": "true"} if force else None
        return self.get_json(f"/api/v1/chart/{chart_id}/data/", params=params)

    def chart_data_from_saved_context(self, chart_id: int, force: bool = True) -> dict[str, Any]:
        """POST the chart's own saved ``query_context`` to ``/api/v1/chart/data``, as the frontend does."""
        saved = self.chart(chart_id).get("query_context")
        if not saved:
            raise SupersetApiError(400, "GET", self.url(f"/api/v1/chart/{chart_id}"),
                                   "the chart has no saved query_context")
        context = json.loads(saved)
        context["force"] = force
        return self.request("POST", "/api/v1/chart/data", json=context).json()

    def list_objects(self, kind: str, page_size: int = PAGE_SIZE) -> list[dict[str, Any]]:
        """Every chart, dataset, dashboard or database: ``{"id", "uuid", "name"}`` each, by id."""
        if kind not in NAME_COLUMNS:
            raise ValueError(f"unknown kind {kind!r}; use one of {', '.join(OBJECT_KINDS)}")
        name_column = NAME_COLUMNS[kind]
        rows: list[dict[str, Any]] = []
        page = 0
        while True:
            # The name column is the one order column every list endpoint accepts ("id" is refused).
            query = prison.dumps({"columns": ["id", "uuid", name_column], "order_column": name_column,
                                  "order_direction": "asc", "page": page, "page_size": page_size})
            body = self.get_json(f"/api/v1/{kind}/", params={"q": query})
            result = body.get("result") or []
            rows.extend({"id": row["id"], "uuid": str(row.get("uuid")), "name": row.get(name_column)}
                        for row in result)
            if len(result) < page_size or len(rows) >= body.get("count", 0):
                return sorted({row["id"]: row for row in rows}.values(), key=lambda row: row["id"])
            page += 1

    def find_id(self, kind: str, uuid: str) -> int:
        """The id of the object of ``kind`` with ``uuid``; ``LookupError`` if there is none."""
        for row in self.list_objects(kind):
            if row["uuid"] == str(uuid):
                return int(row["id"])
        raise LookupError(f"Superset at {self.base_url} has no {kind} with uuid {uuid}")

    def update_chart(self, chart_id: int, fields: Mapping[str, Any]) -> dict[str, Any]:
        """Change a chart's fields (``PUT /api/v1/chart/{id}``), e.g. ``{"slice_name": "…"}``."""
        return self.request("PUT", f"/api/v1/chart/{chart_id}", json=dict(fields)).json()


def connect(base_url: str, username: str = "admin", password: str | None = None,
            timeout: float = DEFAULT_TIMEOUT) -> SupersetClient:
    """A logged-in client; the password, unless given, from the environment or the terminal."""
    base_url = checked_base_url(base_url)
    if password is None:
        password = password_from_environment_or_prompt(username=username)
    client = SupersetClient(base_url, username, password, timeout)
    client.login()
    return client
