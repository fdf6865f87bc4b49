"""A small Druid client: Kafka supervisors through the Overlord API, SQL through the broker.

Credentials come from the environment (basic auth, as Druid's basic-security
extension expects): SUPERSET_DIVOLTE_DRUID_USERNAME and SUPERSET_DIVOLTE_DRUID_PASSWORD.
https URLs are verified against the system CAs or SUPERSET_DIVOLTE_DRUID_CA_BUNDLE.

The clickstream supervisor spec lives once in the repo, in
``stack/druid/clickstream-supervisor.json``; supervisor_spec() fills in the Kafka
bootstrap servers at provisioning time.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import requests

from superset_divolte.local_stack_artifacts import STACK_FILES
from superset_divolte.local_stack_process import poll_until

SUPERVISOR_SPEC_PATH = STACK_FILES / "clickstream-supervisor.json"
COMPACTION_PATH = STACK_FILES / "clickstream-compaction.json"
BOOTSTRAP_PLACEHOLDER = "${KAFKA_BOOTSTRAP_SERVERS}"
USERNAME_ENV = "SUPERSET_DIVOLTE_DRUID_USERNAME"
PASSWORD_ENV = "SUPERSET_DIVOLTE_DRUID_PASSWORD"
CA_BUNDLE_ENV = "SUPERSET_DIVOLTE_DRUID_CA_BUNDLE"
Progress = Callable[[str], None]


class DruidError(RuntimeError):
    """A Druid API call failed; the message names the service, the URL and what to check."""


class TooManyRowsError(DruidError):
    """A datasource holds more rows than were sent: something was ingested twice."""


@dataclass(frozen=True)
class SupervisorStatus:
    """What a supervisor and its tasks report."""

    id: str
    state: str
    detailed_state: str
    healthy: bool
    lag: int | None
    processed: int
    processed_with_error: int
    thrown_away: int
    unparseable: int
    active_tasks: list[str] = field(default_factory=list)


def supervisor_spec(bootstrap_servers: str, path: Path = SUPERVISOR_SPEC_PATH, topic: str | None = None,
                    datasource: str | None = None) -> dict:
    """The repo's clickstream supervisor spec with the Kafka bootstrap servers (optionally topic, datasource) set."""
    spec = json.loads(path.read_text())
    if datasource:
        spec["spec"]["dataSchema"]["dataSource"] = datasource
    io_config = spec["spec"]["ioConfig"]
    if io_config["consumerProperties"].get("bootstrap.servers") != BOOTSTRAP_PLACEHOLDER:
        raise DruidError(f"{path}: consumerProperties.bootstrap.servers must be {BOOTSTRAP_PLACEHOLDER}")
    io_config["consumerProperties"]["bootstrap.servers"] = bootstrap_servers
    if topic:
        io_config["topic"] = topic
    return spec


def compaction_config(path: Path = COMPACTION_PATH) -> dict:
    """The clickstream's auto-compaction config: merges the small segments that streaming hand-offs publish."""
    return json.loads(path.read_text())


def spec_differences(wanted: Any, current: Any, where: str = "") -> list[str]:
    """Paths where current differs from wanted; keys Druid adds (defaults) in current are ignored."""
    if isinstance(wanted, dict) and isinstance(current, dict):
        diffs = []
        for key, value in wanted.items():
            if key not in current:
                if value is not None:  # Druid omits null-valued fields when it echoes a spec
                    diffs.append(f"{where}.{key} missing")
            else:
                diffs += spec_differences(value, current[key], f"{where}.{key}")
        return diffs
    if isinstance(wanted, list) and isinstance(current, list):
        if len(wanted) != len(current):
            return [f"{where}: {len(wanted)} items wanted, {len(current)} present"]
        pairs = enumerate(zip(wanted, current, strict=True))
        return [d for i, (w, c) in pairs for d in spec_differences(w, c, f"{where}[{i}]")]
    return [] if wanted == current else [f"{where}: {current!r} -> {wanted!r}"]


class DruidClient:
    """Overlord and broker endpoints of one Druid cluster."""

    def __init__(self, overlord_url: str, broker_url: str, username: str | None = None,
                 password: str | None = None, timeout: float = 30.0) -> None:
        """URLs like http://127.0.0.1:8081; credentials default to the environment."""
        self.overlord_url = overlord_url.rstrip("/")
        self.broker_url = broker_url.rstrip("/")
        self.timeout = timeout
        self.session = requests.Session()
        username = username or os.environ.get(USERNAME_ENV)
        password = password or os.environ.get(PASSWORD_ENV)
        if username:
            self.session.auth = (username, password or "")
        if os.environ.get(CA_BUNDLE_ENV):
            self.session.verify = os.environ[CA_BUNDLE_ENV]

    # -- supervisors -------------------------------------------------------------------------

    def submit_supervisor(self, spec: dict) -> str:
        """Create or update a supervisor idempotently: 'created', 'updated' or 'unchanged'.

        The current spec is fetched first; when every field we set already has our value
        (fields Druid filled with defaults do not count) nothing is posted, so the running
        tasks are left alone.
        """
        supervisor_id = spec.get("id") or spec["spec"]["dataSchema"]["dataSource"]
        current = self.get_supervisor(supervisor_id)
        if current is not None and not spec_differences(spec, current):
            if current.get("suspended"):
                self.resume_supervisor(supervisor_id)
            return "unchanged"
        self._call("overlord", "POST", f"{self.overlord_url}/druid/indexer/v1/supervisor", json=spec)
        return "created" if current is None else "updated"

    def supervisor_ids(self) -> list[str]:
        """Ids of the running supervisors, sorted."""
        return sorted(self._call("overlord", "GET", f"{self.overlord_url}/druid/indexer/v1/supervisor") or [])

    def get_supervisor(self, supervisor_id: str) -> dict | None:
        """The spec of a running supervisor, None if there is none with that id."""
        return self._call("overlord", "GET", f"{self.overlord_url}/druid/indexer/v1/supervisor/{supervisor_id}",
                          missing_ok=True)

    def resume_supervisor(self, supervisor_id: str) -> None:
        """Resume a suspended supervisor."""
        self._call("overlord", "POST", f"{self.overlord_url}/druid/indexer/v1/supervisor/{supervisor_id}/resume")

    def hand_off(self, supervisor_id: str) -> None:
        """Have the supervisor's running tasks publish their segments now, for the historicals to serve."""
        self._call("overlord", "POST",
                   f"{self.overlord_url}/druid/indexer/v1/supervisor/{supervisor_id}/taskGroups/handoff",
                   json={"taskGroupIds": [0]})

    def terminate_supervisor(self, supervisor_id: str) -> None:
        """Stop a supervisor and its tasks (its data stays)."""
        self._call("overlord", "POST",
                   f"{self.overlord_url}/druid/indexer/v1/supervisor/{supervisor_id}/terminate", missing_ok=True)

    def supervisor_status(self, supervisor_id: str) -> SupervisorStatus:
        """State, lag and row counts: running tasks' live stats plus reports of tasks that succeeded.

        Failed tasks are left out: their rows are read again by the task that replaces them,
        so counting both would count those rows twice.
        """
        status = self._call("overlord", "GET",
                            f"{self.overlord_url}/druid/indexer/v1/supervisor/{supervisor_id}/status")
        payload = status.get("payload", {})
        counts = self._running_counts(supervisor_id)
        for task_id in self._succeeded_tasks(payload.get("dataSource", supervisor_id)):
            for key, value in self._task_counts(task_id).items():
                counts[key] = counts.get(key, 0) + value
        active = [t["id"] for t in payload.get("activeTasks", []) or []]
        return SupervisorStatus(
            id=supervisor_id, state=payload.get("state", "UNKNOWN"),
            detailed_state=payload.get("detailedState", "UNKNOWN"), healthy=bool(payload.get("healthy")),
            lag=payload.get("aggregateLag"), processed=counts.get("processed", 0),
            processed_with_error=counts.get("processedWithError", 0), thrown_away=counts.get("thrownAway", 0),
            unparseable=counts.get("unparseable", 0), active_tasks=active)

    def _running_counts(self, supervisor_id: str) -> dict[str, int]:
        """buildSegments totals summed over the supervisor's running tasks."""
        stats = self._call("overlord", "GET",
                           f"{self.overlord_url}/druid/indexer/v1/supervisor/{supervisor_id}/stats") or {}
        counts: dict[str, int] = {}
        for group in stats.values():
            for task in group.values():
                for key, value in ((task or {}).get("totals", {}).get("buildSegments") or {}).items():
                    counts[key] = counts.get(key, 0) + int(value)
        return counts

    def _succeeded_tasks(self, datasource: str, limit: int = 50) -> list[str]:
        """Ids of the most recent successful Kafka tasks of a datasource."""
        tasks = self._call("overlord", "GET", f"{self.overlord_url}/druid/indexer/v1/tasks",
                           params={"state": "complete", "datasource": datasource, "max": limit}) or []
        return [t["id"] for t in tasks if t.get("status") == "SUCCESS" and t.get("type") == "index_kafka"]

    def _task_counts(self, task_id: str) -> dict[str, int]:
        """buildSegments row stats from a finished task's report."""
        report = self._call("overlord", "GET", f"{self.overlord_url}/druid/indexer/v1/task/{task_id}/reports",
                            missing_ok=True) or {}
        stats = report.get("ingestionStatsAndErrors", {}).get("payload", {}).get("rowStats", {})
        return {k: int(v) for k, v in (stats.get("buildSegments") or {}).items()}

    # -- tasks and compaction ----------------------------------------------------------------

    def submit_task(self, spec: dict) -> str:
        """Submit an indexing task; returns its id."""
        return self._call("overlord", "POST", f"{self.overlord_url}/druid/indexer/v1/task", json=spec)["task"]

    def task_status(self, task_id: str) -> dict[str, Any]:
        """The status object of a task (statusCode RUNNING, SUCCESS or FAILED, errorMsg)."""
        answer = self._call("overlord", "GET", f"{self.overlord_url}/druid/indexer/v1/task/{task_id}/status")
        return answer.get("status") or {}

    def wait_for_task(self, task_id: str, timeout: float) -> None:
        """Poll until the task succeeded; raise with Druid's error message if it failed."""
        def done() -> bool:
            status = self.task_status(task_id)
            if status.get("statusCode") == "FAILED":
                raise DruidError(f"Druid task {task_id} failed: {status.get('errorMsg')}; its log: "
                                 f"{self.overlord_url}/druid/indexer/v1/task/{task_id}/log")
            return status.get("statusCode") == "SUCCESS"
        try:
            poll_until(f"task {task_id}", done, timeout, interval=1.0)
        except TimeoutError:
            raise DruidError(f"Druid task {task_id} not done after {timeout:.0f} s; see "
                             f"{self.overlord_url}/druid/indexer/v1/task/{task_id}/status") from None

    def submit_compaction(self, config: dict) -> str:
        """Set a datasource's auto-compaction config idempotently: 'created', 'updated' or 'unchanged'."""
        datasource = config["dataSource"]
        current = self._call("coordinator", "GET",
                             f"{self.overlord_url}/druid/coordinator/v1/config/compaction/{datasource}",
                             missing_ok=True)
        if current is not None and not spec_differences(config, current):
            return "unchanged"
        self._call("coordinator", "POST", f"{self.overlord_url}/druid/coordinator/v1/config/compaction", json=config)
        return "created" if current is None else "updated"

    # -- SQL ---------------------------------------------------------------------------------

    def sql(self, query: str, parameters: list[Any] | None = None,
            context: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """Run Druid SQL on the broker; rows as dicts. context: Druid query context (e.g. exact COUNT DISTINCT)."""
        body: dict[str, Any] = {"query": query, "resultFormat": "object"}
        if context:
            body["context"] = context
        if parameters:
            body["parameters"] = [{"type": _sql_type(p), "value": p} for p in parameters]
        return self._call("broker", "POST", f"{self.broker_url}/druid/v2/sql/", json=body)

    def count(self, datasource: str, where: str = "") -> int:
        """SELECT COUNT(*) of a datasource (0 while Druid does not know it yet)."""
        try:
            rows = self.sql(f'SELECT COUNT(*) AS "n" FROM "{datasource}" {where}')
        except DruidError as error:
            if "not found" in str(error).lower():
                return 0
            raise
        return int(rows[0]["n"]) if rows else 0

    def wait_for_count(self, datasource: str, expected: int, timeout: float = 300.0,
                       progress: Progress | None = None) -> int:
        """Poll COUNT(*) until it reaches expected; raise if it overshoots or the deadline passes."""
        seen: dict[str, Any] = {"n": -1, "error": None}

        def check() -> bool:
            try:
                seen["n"] = self.count(datasource)
            except DruidError as error:  # e.g. the broker routes to an indexer that is restarting
                seen["error"] = error
                return False
            if seen["n"] > expected:
                raise TooManyRowsError(f"{datasource} holds {seen['n']} rows, more than the {expected} expected "
                                       f"(duplicates?); broker {self.broker_url}")
            return seen["n"] == expected

        try:
            poll_until(f"{datasource} to hold {expected} rows", check, timeout, interval=1.0,
                       progress=progress and (lambda m: progress(f"{m}: {seen['n']} so far")))
        except TimeoutError:
            raise DruidError(f"{datasource} holds {seen['n']} rows after {timeout:.0f} s, {expected} expected; "
                             f"check the supervisor at {self.overlord_url}/druid/indexer/v1/supervisor/"
                             f"{datasource}/status and the indexer's log; last error: {seen['error']}") from None
        return seen["n"]

    def wait_for_datasource(self, datasource: str, timeout: float = 300.0, progress: Progress | None = None) -> int:
        """Poll until the datasource answers SQL with at least one row; return its row count."""
        try:
            return poll_until(f"{datasource} to answer SQL", lambda: self.count(datasource), timeout,
                              interval=1.0, progress=progress)
        except TimeoutError:
            raise DruidError(f"{datasource} does not answer SQL on {self.broker_url} after {timeout:.0f} s; "
                             f"check the supervisor ({self.overlord_url}/druid/indexer/v1/supervisor) and that "
                             f"the topic has data") from None

    # -- HTTP --------------------------------------------------------------------------------

    def _call(self, service: str, method: str, url: str, missing_ok: bool = False, **kwargs: Any) -> Any:
        """One request with errors that say which service, which URL and what to check."""
        try:
            answer = self.session.request(method, url, timeout=self.timeout, **kwargs)
        except requests.RequestException as error:
            raise DruidError(f"Druid {service} unreachable at {url}: {error}; "
                             "is it running, is the URL right?") from None
        if answer.status_code == 404 and missing_ok:
            return None
        if answer.status_code in (401, 403):
            raise DruidError(f"Druid {service} refused {method} {url} ({answer.status_code}); "
                             f"check {USERNAME_ENV} / {PASSWORD_ENV}")
        if not answer.ok:
            raise DruidError(f"Druid {service} {method} {url} failed ({answer.status_code}): {answer.text[:1000]}")
        return answer.json() if answer.content else None


def _sql_type(value: Any) -> str:
    """Druid SQL parameter type of a Python value."""
    if isinstance(value, bool):
        return "BOOLEAN"
    if isinstance(value, int):
        return "BIGINT"
    if isinstance(value, float):
        return "DOUBLE"
    return "VARCHAR"
