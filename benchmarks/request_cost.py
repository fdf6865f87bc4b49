"""Superset's own cost per chart-data request on the embedded DuckDB target, and where it goes.

A fresh home (``demo --no-serve``), Superset 6.1.0 in this process
(Flask's test client, so no HTTP server's share), each chart's saved query context POSTed to
``/api/v1/chart/data`` with ``force: true``. For every chart: wall and CPU milliseconds of the
request (CPU of the whole process, DuckDB's threads included, so it is less disturbed by a shared
machine than wall time), and one profiled run that splits the request into the engine's work and
the parts Superset spends around it: parsing the SQL with sqlglot, rendering templates, logging
the request to the metadata database, opening and closing the DuckDB connection.

Side by side in the same run, the sessions dataset as the physical view it is now and as the
virtual dataset it was (the view's SELECT as the dataset's SQL), interleaved request by request.
"""

from __future__ import annotations

import argparse
import cProfile
import copy
import json
import pstats
import secrets
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

from common import REPO, cli, command_line, load_average, machine, median, now_iso, percentile, say, write_results

from superset_divolte.event_store import VIEWS_SQL_PATH

PROFILE_BUCKETS = {
    "sqlglot parse": ("sqlglot/__init__.py", "parse"),
    "Jinja rendering": ("superset/jinja_context.py", "process_template"),
    "request log (metadata DB)": ("superset/utils/log.py", "log"),
    "DuckDB connect": ("duckdb_engine/__init__.py", "connect"),
    "DuckDB query": ("duckdb_engine/__init__.py", "execute"),
}
"""Functions whose cumulative time in a profiled request is reported (file suffix, function name)."""
SESSIONS_TITLE = "Sessions started"


def prepare_home(home: Path, events: int, seed: int) -> None:
    """Events, every asset and the admin in a new home, as the demo makes them."""
    say(f"generating {events:,} events and provisioning {home}")
    cli("demo", "--no-serve", "--events", str(events), "--days", "28", "--seed", str(seed), "--home", str(home))


class InProcessSuperset:
    """Superset's Flask app on the home, logged in as its admin through the security API."""

    def __init__(self, home: Path) -> None:
        from superset_divolte.superset_app import SupersetHome, create_superset_app

        SupersetHome(home).prepare_environment()
        self.app = create_superset_app()
        self.client = self.app.test_client()
        password = secrets.token_urlsafe(16)
        with self.app.app_context():
            security = self.app.appbuilder.sm
            security.reset_password(security.find_user(username="admin").id, password)
        login = self.client.post("/api/v1/security/login", json={
            "username": "admin", "password": password, "provider": "db", "refresh": False})
        self.headers = {"Authorization": f"Bearer {login.json['access_token']}"}

    def saved_contexts(self) -> dict[str, dict[str, Any]]:
        """Every chart's saved query context, by title, forced past the data cache."""
        from superset import db
        from superset.models.slice import Slice

        with self.app.app_context():
            charts = {chart.slice_name: json.loads(chart.query_context)
                      for chart in db.session.query(Slice).all() if chart.query_context}
        for context in charts.values():
            context["force"] = True
        return charts

    def chart_data(self, context: dict[str, Any]) -> None:
        """One ``POST /api/v1/chart/data``; raises unless every query succeeded."""
        response = self.client.post("/api/v1/chart/data", json=context, headers=self.headers)
        if response.status_code != 200:
            raise RuntimeError(f"chart data answered {response.status_code}: {response.data[:300]!r}")

    def virtual_sessions_dataset(self) -> int:
        """A copy of the sessions dataset whose SQL is the view's SELECT (what the dataset was before)."""
        from superset import db
        from superset.connectors.sqla.models import SqlaTable, SqlMetric, TableColumn

        select = VIEWS_SQL_PATH.read_text().split(" AS\n", 1)[1].rstrip().rstrip(";")
        with self.app.app_context():
            view = db.session.query(SqlaTable).filter_by(table_name="sessions").one()
            virtual = SqlaTable(
                table_name="sessions_as_virtual_sql", database=view.database, schema=view.schema, sql=select,
                main_dttm_col=view.main_dttm_col,
                columns=[TableColumn(column_name=c.column_name, type=c.type, is_dttm=c.is_dttm,
                                     groupby=c.groupby, filterable=c.filterable) for c in view.columns],
                metrics=[SqlMetric(metric_name=m.metric_name, expression=m.expression, d3format=m.d3format)
                         for m in view.metrics])
            db.session.add(virtual)
            db.session.commit()
            return int(virtual.id)


def timed(request: Callable[[], None]) -> tuple[float, float]:
    """Wall and CPU milliseconds of one call."""
    wall, cpu = time.perf_counter(), time.process_time()
    request()
    return (time.perf_counter() - wall) * 1000, (time.process_time() - cpu) * 1000


def profiled_shares(request: Callable[[], None], runs: int = 5) -> dict[str, float]:
    """Milliseconds per request in each bucket, from ``runs`` profiled requests (profiler overhead included)."""
    profile = cProfile.Profile()
    profile.enable()
    for _ in range(runs):
        request()
    profile.disable()
    stats = pstats.Stats(profile).stats  # type: ignore[attr-defined]
    shares = {"request (profiled)": 0.0}
    for (file, _, function), (_, _, _, cumulative, _) in stats.items():
        if function == "data" and file.endswith("superset/charts/data/api.py"):
            shares["request (profiled)"] = max(shares["request (profiled)"], cumulative * 1000 / runs)
        for bucket, (suffix, name) in PROFILE_BUCKETS.items():
            if function == name and file.endswith(suffix):
                shares[bucket] = max(shares.get(bucket, 0.0), cumulative * 1000 / runs)
    return {bucket: round(ms, 1) for bucket, ms in shares.items()}


def measure_chart(superset: InProcessSuperset, title: str, context: dict[str, Any], repeats: int) -> dict[str, Any]:
    """Medians and p95 of wall and CPU time, and the profiled split, for one chart."""
    request = lambda: superset.chart_data(context)  # noqa: E731
    for _ in range(3):
        request()
    samples = [timed(request) for _ in range(repeats)]
    walls, cpus = [s[0] for s in samples], [s[1] for s in samples]
    record = {"chart": title, "wall_ms_median": round(median(walls), 1), "wall_ms_p95": round(percentile(walls, 95), 1),
              "cpu_ms_median": round(median(cpus), 1), "profile_ms": profiled_shares(request)}
    say(f"{title}: wall {record['wall_ms_median']} ms, CPU {record['cpu_ms_median']} ms")
    return record


def sessions_side_by_side(superset: InProcessSuperset, contexts: dict[str, dict[str, Any]],
                          repeats: int) -> dict[str, Any]:
    """The sessions chart on the view and on the old virtual SQL, interleaved request by request."""
    view_context = contexts[SESSIONS_TITLE]
    virtual_context = copy.deepcopy(view_context)
    virtual_context["datasource"] = {"id": superset.virtual_sessions_dataset(), "type": "table"}
    samples: dict[str, list[tuple[float, float]]] = {"view": [], "virtual SQL": []}
    for context in (view_context, virtual_context):
        superset.chart_data(context)
    for _ in range(repeats):
        samples["view"].append(timed(lambda: superset.chart_data(view_context)))
        samples["virtual SQL"].append(timed(lambda: superset.chart_data(virtual_context)))
    result = {shape: {"wall_ms_median": round(median([s[0] for s in values]), 1),
                      "cpu_ms_median": round(median([s[1] for s in values]), 1)}
              for shape, values in samples.items()}
    result["cpu_ratio_virtual_to_view"] = round(result["virtual SQL"]["cpu_ms_median"]
                                                / result["view"]["cpu_ms_median"], 2)
    say(f"sessions chart side by side: {result}")
    return result


def markdown(payload: dict[str, Any]) -> str:
    """The report: every chart's cost and split, then the sessions side by side."""
    buckets = ["request (profiled)", *PROFILE_BUCKETS]
    lines = [f"# Superset's cost per chart request (DuckDB, {payload['events']:,} events)", "",
             f"`{payload['command']}`", "",
             "Wall and CPU ms per `POST /api/v1/chart/data` (`force: true`), medians over "
             f"{payload['repeats']} requests; then one profiled run's split (ms per request, profiler "
             "overhead included, so the shares matter more than the sums).", "",
             "| chart | wall ms | wall p95 | CPU ms | " + " | ".join(buckets) + " |",
             "|---|---|---|---|" + "---|" * len(buckets)]
    for record in payload["charts"]:
        split = " | ".join(str(record["profile_ms"].get(bucket, 0)) for bucket in buckets)
        lines.append(f"| {record['chart']} | {record['wall_ms_median']} | {record['wall_ms_p95']} | "
                     f"{record['cpu_ms_median']} | {split} |")
    side = payload["sessions_side_by_side"]
    lines += ["", f"## {SESSIONS_TITLE}: the sessions view against the same SELECT as a virtual dataset", "",
              "| sessions dataset | wall ms median | CPU ms median |", "|---|---|---|",
              *(f"| {shape} | {side[shape]['wall_ms_median']} | {side[shape]['cpu_ms_median']} |"
                for shape in ("view", "virtual SQL")),
              "", f"CPU ratio virtual / view: {side['cpu_ratio_virtual_to_view']}", "",
              f"- Machine: {json.dumps(payload['machine'])}",
              f"- Run: {payload['started']} to {payload['finished']} (UTC); load average before "
              f"{payload['load_average']['before']}, after {payload['load_average']['after']}"]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--charts", nargs="*", default=[], help="only these chart titles (default: every chart)")
    parser.add_argument("--output", default="request_cost", help="results name under benchmarks/results/")
    arguments = parser.parse_args()
    started, load_before = now_iso(), load_average()
    with tempfile.TemporaryDirectory(prefix="superset-divolte-request-cost-") as scratch:
        home = Path(scratch) / "home"
        prepare_home(home, arguments.events, arguments.seed)
        superset = InProcessSuperset(home)
        contexts = superset.saved_contexts()
        charts = [measure_chart(superset, title, context, arguments.repeats)
                  for title, context in sorted(contexts.items())
                  if not arguments.charts or title in arguments.charts]
        side = sessions_side_by_side(superset, contexts, arguments.repeats)
    payload = {"command": command_line(), "events": arguments.events,
               "repeats": arguments.repeats, "charts": charts, "sessions_side_by_side": side,
               "machine": machine(), "started": started, "finished": now_iso(),
               "load_average": {"before": load_before, "after": load_average()}}
    json_path, md_path = write_results(arguments.output, payload, markdown(payload))
    say(f"wrote {json_path.relative_to(REPO)} and {md_path.relative_to(REPO)}")


if __name__ == "__main__":
    main()
