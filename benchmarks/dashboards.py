"""Dashboards: every chart through Superset's chart-data API and raw on its engine, DuckDB and the local Druid.

For each engine and each ``--events`` size (28 days of traffic ending now): generate the events (into a DuckDB
file, or into the local stack's Kafka topic), provision a fresh Superset home and time it, provision again
(the idempotent re-run) and time that, then serve the home with a real Superset 6.1.0 and, per dashboard:

- every chart's saved query context through ``POST /api/v1/chart/data`` with ``force: true`` (Superset's cache
  bypassed) and the very SQL Superset generated for it run raw on the engine (DuckDB in this process, read-only;
  Druid SQL on the broker with the connection's query context), ``--repeats`` interleaved pairs, median and p95;
- the whole dashboard as a browser loads it: all its chart requests at once over 6 connections, until the last
  answer, ``--loads`` times, median.

Writes benchmarks/results/dashboards.json (one record per measurement), dashboards.md and PNG plots.
The Druid stack is started here in a temporary folder with the profile given (``--profile bench`` by default),
holding the machine's stack lock; its configuration is recorded beside the figures.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import contextlib
import fcntl
import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any, Callable, Iterator

from common import (REPO, RESULTS, cli, command_line, load_average, machine, median, now_iso, percentile, say,
                    write_results)
from superset_divolte.assets import load_tree, resolve
from superset_divolte.druid.client import DruidClient
from superset_divolte.local_stack import LocalStack
from superset_divolte.local_stack_config import PROFILES, StackPorts
from superset_divolte.superset_app import SupersetHome
from superset_divolte.superset_client import SupersetClient
from superset_server import home_environment, initialize_home, running_superset

PASSWORD = "benchmark-admin-password-1"
DAYS = 28
TOPIC = "divolte"
DATASOURCE = "clickstream"
CONNECTIONS = 6
"""What a browser opens per host: a dashboard's chart requests share them."""
LOCK = Path("/tmp/superset-divolte-stack.lock")


@contextlib.contextmanager
def stack_lock() -> Iterator[None]:
    """The machine's one-stack lock (fixed ports: only one local stack may run)."""
    with LOCK.open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise SystemExit(f"{LOCK} is held: another local stack runs on this machine; wait for it") from None
        yield


ONLY: list[str] = []
"""Dashboard titles to measure (--dashboards); empty: all."""


def dashboards() -> dict[str, list[str]]:
    """Dashboard title -> the uuids of its charts, in layout order."""
    found = {}
    for file in load_tree(REPO).of_kind("dashboards"):
        if ONLY and file.document["dashboard_title"] not in ONLY:
            continue
        position = file.document.get("position") or {}
        found[file.document["dashboard_title"]] = [str(node["meta"]["uuid"]) for node in position.values()
                                                   if isinstance(node, dict) and node.get("type") == "CHART"]
    return found


def chart_names() -> dict[str, str]:
    """Chart uuid -> its name."""
    return {str(f.document["uuid"]): f.document["slice_name"] for f in load_tree(REPO).of_kind("charts")}


def druid_context() -> dict[str, Any]:
    """The query context the Clickstream connection sends to Druid (its database extra)."""
    [database] = [f for f in load_tree(REPO).of_kind("databases")]
    extra = resolve(database.document, "druid", placeholder="x")["extra"]
    extra = json.loads(extra) if isinstance(extra, str) else extra
    return extra["engine_params"]["connect_args"]["context"]


class Charts:
    """One served home: saved query contexts, their SQL, and timed runs through the API and raw."""

    def __init__(self, client: SupersetClient, raw: Callable[[str], Any]) -> None:
        self.client = client
        self.raw = raw
        self.ids = {row["uuid"]: row["id"] for row in client.list_objects("chart")}
        self.contexts: dict[str, dict[str, Any]] = {}

    def context(self, uuid: str) -> dict[str, Any]:
        if uuid not in self.contexts:
            context = json.loads(self.client.chart(self.ids[uuid])["query_context"])
            context["force"] = True
            self.contexts[uuid] = context
        return self.contexts[uuid]

    def sql(self, uuid: str) -> list[str]:
        """The SQL Superset sends to the engine for this chart (one statement per query)."""
        body = self.client.request("POST", "/api/v1/chart/data",
                                   json={**self.context(uuid), "result_type": "query"}).json()
        # Superset ends each statement with ';' (Druid's SQL endpoint takes one statement without it); a
        # query with a series limit is two statements in one string.
        statements = (part.strip().rstrip(";").strip() for result in body["result"]
                      for part in result["query"].split(";\n"))
        return [statement for statement in statements if statement]

    def api(self, uuid: str, client: SupersetClient | None = None) -> tuple[float, str | None]:
        """Milliseconds of one chart-data request, and the error it reported, if any."""
        begun = time.perf_counter()
        try:
            body = (client or self.client).request("POST", "/api/v1/chart/data", json=self.context(uuid)).json()
            errors = [r.get("error") for r in body["result"] if r.get("error") or r.get("status") != "success"]
            error = str(errors[0])[:300] if errors else None
        except Exception as failure:  # noqa: BLE001 - a failing chart is a figure too
            error = str(failure)[:300]
        return (time.perf_counter() - begun) * 1000, error

    def raw_ms(self, statements: list[str]) -> float:
        begun = time.perf_counter()
        for statement in statements:
            self.raw(statement)
        return (time.perf_counter() - begun) * 1000


def measure_charts(charts: Charts, engine: str, events: int, repeats: int) -> list[dict[str, Any]]:
    """Per chart of every dashboard: API and raw, interleaved."""
    names, records = chart_names(), []
    for title, uuids in dashboards().items():
        for uuid in uuids:
            api, raw, error = [], [], None
            statements = charts.sql(uuid)
            charts.api(uuid)  # warm-up: Superset's first request per chart loads the dataset's metadata
            for _ in range(repeats):
                ms, error = charts.api(uuid)
                api.append(ms)
                try:
                    raw.append(charts.raw_ms(statements))
                except Exception as failure:  # noqa: BLE001
                    error = error or f"raw: {str(failure)[:300]}"
            record = {"engine": engine, "events": events, "dashboard": title, "chart": names[uuid],
                      "api_ms_median": round(median(api), 1), "api_ms_p95": round(percentile(api, 95), 1),
                      "raw_ms_median": round(median(raw), 1) if raw else None, "error": error}
            say(f"{engine} {events:,} {title} / {names[uuid]}: API {record['api_ms_median']:.0f} ms, "
                f"raw {record['raw_ms_median']} ms{f', error {error}' if error else ''}")
            records.append(record)
    return records


def measure_loads(charts: Charts, server: Any, engine: str, events: int, loads: int) -> list[dict[str, Any]]:
    """Per dashboard: all its chart requests at once over 6 logged-in connections, until the last answer."""
    clients = [SupersetClient(server.base_url, server.username, server.password) for _ in range(CONNECTIONS)]
    for client in clients:
        client.login()
    records = []
    try:
        for title, uuids in dashboards().items():
            times, errors = [], []
            for _ in range(loads):
                begun = time.perf_counter()
                with concurrent.futures.ThreadPoolExecutor(CONNECTIONS) as pool:
                    answers = list(pool.map(lambda pair: charts.api(pair[1], clients[pair[0] % CONNECTIONS]),
                                            enumerate(uuids)))
                times.append((time.perf_counter() - begun) * 1000)
                errors += [e for _, e in answers if e]
            record = {"engine": engine, "events": events, "dashboard": title,
                      "load_ms_median": round(median(times), 1), "charts": len(uuids),
                      "errors": len(errors)}
            say(f"{engine} {events:,} dashboard {title}: {record['load_ms_median']:.0f} ms, {len(errors)} errors")
            records.append(record)
    finally:
        for client in clients:
            client.close()
    return records


def generator_environment(environment: dict[str, str], generator: Path | None) -> dict[str, str]:
    """The environment for ``events generate``: another checkout's generator first on the path, if given."""
    if generator is None:
        return environment
    return {**environment, "PYTHONPATH": os.pathsep.join([str(generator), environment.get("PYTHONPATH", "")])}


def run_engine(engine: str, events: int, args: argparse.Namespace, stack: LocalStack | None) -> dict[str, Any]:
    """Generate, provision (fresh and again), serve, measure: one engine at one size."""
    with tempfile.TemporaryDirectory(prefix=f"superset-divolte-dashboards-{engine}-") as scratch:
        folder = Path(scratch)
        home = SupersetHome(folder / "home")
        environment = home_environment(home)
        duckdb_path = folder / "clickstream.duckdb"
        environment["SUPERSET_DIVOLTE_DUCKDB"] = str(duckdb_path)
        provision_args = ["provision", "--target", engine, "--assets", str(REPO), "--home", str(home.path)]
        if stack is not None:
            environment.update(SUPERSET_DIVOLTE_DRUID_HOST="127.0.0.1",
                               SUPERSET_DIVOLTE_DRUID_PORT=str(stack.ports.broker))
            provision_args += ["--druid-overlord-url", stack.overlord_url, "--druid-broker-url",
                               stack.druid_router_or_broker_url, "--kafka-bootstrap", stack.kafka_bootstrap]
        initialize_home(home, PASSWORD, environment, folder / "superset.log")
        sink = f"duckdb:///{duckdb_path}" if stack is None else f"kafka://{stack.kafka_bootstrap}/{TOPIC}"
        facts: dict[str, Any] = {}
        if stack is None or args.workdir is None:
            say(f"{engine}: generating {events:,} events of {DAYS} days into {sink}")
            begun = time.monotonic()
            cli("events", "generate", "--sink", sink, "--events", str(events), "--days", str(DAYS), "--seed",
                str(args.seed), env=generator_environment(environment, args.generator), timeout=7200)
            facts["generate_s"] = round(time.monotonic() - begun, 1)
            facts["generate_events_per_s"] = round(events / facts["generate_s"])
        else:
            facts["events_already_in"] = f"the topic of the stack in {args.workdir}"
        begun = time.monotonic()
        cli(*provision_args, *(["--wait"] if stack else []), env=environment, timeout=3600)
        facts["provision_fresh_s"] = round(time.monotonic() - begun, 1)
        if stack is not None:
            druid = DruidClient(stack.overlord_url, stack.druid_router_or_broker_url, timeout=600)
            begun = time.monotonic()
            druid.wait_for_count(DATASOURCE, events, 3600, progress=say)
            facts["druid_ingest_after_provision_s"] = round(time.monotonic() - begun, 1)
            facts.update(derived_rows(provision_args, environment))
            facts.update(after_ingestion(druid, args.handoff_wait))
        begun = time.monotonic()
        cli(*provision_args, env=environment, timeout=3600)
        facts["provision_again_s"] = round(time.monotonic() - begun, 1)
        say(f"{engine} {events:,}: {facts}")
        with running_superset(folder, PASSWORD) as server, \
                SupersetClient(server.base_url, server.username, server.password, timeout=600) as client:
            client.login()
            charts = Charts(client, raw_runner(engine, duckdb_path, stack))
            records = measure_charts(charts, engine, events, args.repeats)
            records += measure_loads(charts, server, engine, events, args.loads)
        return {"facts": {"engine": engine, "events": events, **facts}, "records": records}


def derived_rows(provision_args: list[str], environment: dict[str, str]) -> dict[str, Any]:
    """Materialise the derived datasources (sessions, signup funnel, experiments) once, where the design has them
    (timed)."""
    if not (REPO / "stack" / "druid" / "sessions.sql").exists():
        return {}
    urls = provision_args[provision_args.index("--druid-overlord-url"):][:4]
    begun = time.monotonic()
    cli("druid", "materialise", *urls, env=environment, timeout=7200)
    return {"materialise_s": round(time.monotonic() - begun, 1)}


def segments(druid: DruidClient) -> dict[str, int]:
    """Segments per datasource, real-time or handed off to the historical."""
    rows = druid.sql('SELECT "datasource", "is_realtime", COUNT(*) AS "n" FROM sys.segments '
                     'WHERE "is_published" = 1 OR "is_realtime" = 1 GROUP BY "datasource", "is_realtime"')
    return {f"{r['datasource']} {'real-time' if r['is_realtime'] else 'historical'}": r["n"] for r in rows}


def after_ingestion(druid: DruidClient, handoff_wait: float) -> dict[str, Any]:
    """What Druid holds once every event is in; first waits up to handoff_wait s for no real-time segments."""
    begun = time.monotonic()
    while time.monotonic() - begun < handoff_wait and any("real-time" in k for k in segments(druid)):
        time.sleep(5)  # polling the coordinator's hand-off, with the deadline above
    return {"segments": segments(druid), "handoff_wait_s": round(time.monotonic() - begun, 1)}


def raw_runner(engine: str, duckdb_path: Path, stack: LocalStack | None) -> Callable[[str], Any]:
    """Runs one SQL statement on the engine, fetching every row."""
    if stack is not None:
        druid, context = DruidClient(stack.overlord_url, stack.druid_router_or_broker_url, timeout=600), \
            druid_context()
        return lambda sql: druid.sql(sql, context=context)
    import duckdb

    def run(sql: str) -> Any:
        with duckdb.connect(str(duckdb_path), read_only=True) as connection:
            return connection.execute(sql).fetchall()
    return run


@contextlib.contextmanager
def druid_stack(profile: str, workdir: Path | None) -> Iterator[LocalStack]:
    """A fresh local stack (temporary folder, Druid's default ports) under the machine's lock; stopped after.

    With workdir: the stack running there, whose topic already holds the events (left running).
    """
    if workdir is not None:
        with stack_lock():
            yield LocalStack(workdir)
        return
    with stack_lock(), tempfile.TemporaryDirectory(prefix="superset-divolte-dashboards-stack-") as scratch:
        stack = LocalStack(Path(scratch) / "stack", ports=StackPorts(), profile=PROFILES[profile])
        try:
            stack.up(progress=say)
            yield stack
        finally:
            stack.down(progress=say)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, nargs="+", default=[1_000_000], help="sizes, e.g. 1000000 10000000")
    parser.add_argument("--engines", nargs="+", choices=("duckdb", "druid"), default=["duckdb", "druid"])
    parser.add_argument("--repeats", type=int, default=7, help="interleaved API/raw pairs per chart")
    parser.add_argument("--loads", type=int, default=3, help="whole-dashboard loads per dashboard")
    parser.add_argument("--profile", choices=sorted(PROFILES), default="bench", help="Druid's JVM sizes")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--dashboards", nargs="*", default=[], help="only these dashboard titles")
    parser.add_argument("--workdir", type=Path, help="use the stack running there, its topic holding the events")
    parser.add_argument("--handoff-wait", type=float, default=0.0,
                        help="seconds to wait for Druid to hand every segment off to the historical")
    parser.add_argument("--generator", type=Path, help="a checkout whose superset_divolte generates the events")
    parser.add_argument("--label", default="", help="recorded with the run (e.g. before / after)")
    parser.add_argument("--output", default="dashboards", help="results name under benchmarks/results/")
    parser.add_argument("--report-only", action="store_true", help="measure nothing: report the --include files")
    parser.add_argument("--include", type=Path, nargs="*", default=[],
                        help="earlier results files whose records join this report (their commands are kept)")
    args = parser.parse_args()
    ONLY.extend(args.dashboards)
    started, load_before, info = now_iso(), load_average(), machine()
    runs = []
    for events in [] if args.report_only else args.events:
        for engine in args.engines:
            if engine == "druid":
                with druid_stack(args.profile, args.workdir) as stack:
                    runs.append(run_engine(engine, events, args, stack))
            else:
                runs.append(run_engine(engine, events, args, None))
    result = {"benchmark": "dashboards", "label": args.label, "command": command_line(), "started_at": started,
              "finished_at": now_iso(), "machine": info,
              "load_average": {"before": load_before, "after": load_average()},
              "druid_profile": PROFILES[args.profile].describe(), "druid_query_context": druid_context(),
              "superset_server": "Superset 6.1.0 under Werkzeug's threaded server in a child process",
              "runs": [run["facts"] for run in runs],
              "records": [record for run in runs for record in run["records"]]}
    for earlier in map(lambda path: json.loads(path.read_text()), args.include):
        result["included"] = [*result.get("included", []), {k: earlier[k] for k in (
            "label", "command", "started_at", "finished_at", "load_average")}]
        result["runs"] += earlier["runs"]
        result["records"] += earlier["records"]
    plots = plot(result, args.output)
    paths = write_results(args.output, result, markdown(result, plots))
    say(f"wrote {paths[0]}, {paths[1]} and {len(plots)} plots")


def plot(result: dict[str, Any], name: str) -> list[Path]:
    """PNG plots: API/raw per chart, and whole-dashboard load per engine and size."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    charts = [r for r in result["records"] if "chart" in r]
    loads = [r for r in result["records"] if "load_ms_median" in r]
    paths = []
    # Bars at numeric positions: a chart title that two dashboards share keeps a bar of its own.
    labels = [f"{r['engine']} {r['events'] / 1e6:g}M {r['dashboard']}: {r['chart']}" for r in charts]
    figure, axis = plt.subplots(figsize=(13, max(4, len(charts) * 0.22)))
    positions = range(len(charts))
    axis.barh(positions, [r["api_ms_median"] for r in charts], label="API median", color="#4c78a8")
    axis.barh(positions, [r["raw_ms_median"] or 0 for r in charts], label="raw median", color="#f58518", height=0.4)
    axis.axvline(1000, color="#e45756", linestyle="--", label="target 1,000 ms per chart")
    _label_bars(axis, labels, figure, paths, f"{name}-charts.png")
    labels = [f"{r['engine']} {r['events'] / 1e6:g}M {r['dashboard']}" for r in loads]
    figure, axis = plt.subplots(figsize=(10, max(3, len(loads) * 0.35)))
    axis.barh(range(len(loads)), [r["load_ms_median"] for r in loads], color="#54a24b", label="whole dashboard")
    axis.axvline(2000, color="#e45756", linestyle="--", label="target 2,000 ms per dashboard")
    _label_bars(axis, labels, figure, paths, f"{name}-loads.png")
    return paths


def _label_bars(axis: Any, labels: list[str], figure: Any, paths: list[Path], file_name: str) -> None:
    """Name the horizontal bars, log-scale the time axis and save the figure under RESULTS."""
    import matplotlib.pyplot as plt

    axis.set_yticks(range(len(labels)), labels)
    axis.set_xscale("log")
    axis.set_xlabel("ms (log)")
    axis.legend()
    axis.invert_yaxis()
    figure.tight_layout()
    paths.append(RESULTS / file_name)
    figure.savefig(paths[-1], dpi=90)
    plt.close(figure)


def markdown(result: dict[str, Any], plots: list[Path]) -> str:
    """The report: per chart API / raw / ratio, whole dashboards, provisioning, the machine and Druid's size."""
    lines = [f"# Dashboards {result['label']}".rstrip(), "", f"`{result['command']}`", "",
             "| engine | events | dashboard | chart | API median ms | API p95 ms | raw median ms | API/raw | error |",
             "|---|---|---|---|---|---|---|---|---|"]
    for r in (r for r in result["records"] if "chart" in r):
        ratio = f"{r['api_ms_median'] / r['raw_ms_median']:.2f}" if r["raw_ms_median"] else "-"
        lines.append(f"| {r['engine']} | {r['events']:,} | {r['dashboard']} | {r['chart']} | {r['api_ms_median']:,.0f} "
                     f"| {r['api_ms_p95']:,.0f} | {r['raw_ms_median'] or 0:,.0f} | {ratio} | {r['error'] or ''} |")
    lines += ["", "Whole dashboards (all chart requests at once over 6 connections, median):", "",
              "| engine | events | dashboard | charts | load median ms | errors |", "|---|---|---|---|---|---|"]
    lines += [f"| {r['engine']} | {r['events']:,} | {r['dashboard']} | {r['charts']} | {r['load_ms_median']:,.0f} "
              f"| {r['errors']} |" for r in result["records"] if "load_ms_median" in r]
    lines += ["", "Generation, provisioning and ingestion:", "", "```json",
              json.dumps(result["runs"], indent=1), "```", ""]
    lines += [f"![{p.stem}]({p.name})" for p in plots]
    info = result["machine"]
    lines += ["", f"- Machine: {info['cores']} cores ({info['cpu_model']}), {info['memory_gib']} GiB; "
              f"superset-divolte {info['superset_divolte']['commit'][:12]}"
              f"{' (uncommitted changes)' if info['superset_divolte']['uncommitted_changes'] else ''}",
              f"- Run: {result['started_at']} to {result['finished_at']} (UTC); load average before "
              f"{result['load_average']['before']}, after {result['load_average']['after']}",
              f"- {result['superset_server']}",
              *[f"- Included: {e['label']} (`{e['command']}`, {e['started_at']} to {e['finished_at']}, load "
                f"average {e['load_average']})" for e in result.get("included", [])],
              f"- Druid profile: `{json.dumps(result['druid_profile'])}`",
              f"- Druid query context of the connection: `{json.dumps(result['druid_query_context'])}`"]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
