"""End to end on real services: generator -> Kafka -> Druid -> Superset's chart data API -> ground truth.

What a user runs, in order, against the session's local stack:

1. ``superset-divolte events generate --sink kafka://…/divolte --ground-truth …`` (the CLI, as users run it);
2. ``superset-divolte provision --target druid …`` into a fresh Superset home: the Druid Kafka supervisor
   (read from the earliest offset) and every database, dataset, chart and dashboard of the repository;
3. Druid ingests until ``COUNT(*)`` is exactly the number of events sent (polled with a deadline);
   then ``superset-divolte druid materialise`` materialises the sessions and experiments datasources; a first
   run is killed (SIGKILL) once it has submitted its first sessions task, a second once it has submitted its
   experiments task, and a third completes them: every session and experiment number below is read from what
   survived those kills;
4. a real Superset 6.1.0 serves the home; every chart's saved query context runs through
   ``POST /api/v1/chart/data`` (cache bypassed) and its numbers are held against the ground truth.

The numbers are held to the ground truth by ``tests/test_content.py``'s own checks, collected here again
with this module's fixtures: one set of comparisons for both targets. Druid approximates nothing here: the
connection's query context (``datasets/databases/Clickstream.yaml``) sets ``useApproximateCountDistinct:
false`` (visitors and sessions are exact ``COUNT(DISTINCT …)``) and ``useApproximateTopN: false`` (top-10
charts are exact group-bys, not TopN); so counts are compared with ``==`` and averages and rates, quotients of
exact counts, to 1e-12 relative, as on DuckDB; the ordered signup funnel included.

Then, without provisioning again, live clicks produced to Kafka show up in the chart data (the Technology
popularity donut grows by exactly the clicks sent), and provisioning again reports the supervisor and every
Superset object unchanged. Last, the sample site (stack/app/site) is clicked through in Chromium with a
recording stand-in for ``divolte``; its signals, mapped as the collector maps them and written with the
project's Kafka sink, add exactly the test's clicks, funnel steps, exposures and conversions to the charts.
The tests run in file order: the live and sample-site tests add events, so they come last.
"""

from __future__ import annotations

import dataclasses
import json
import os
import random
import subprocess
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable, Iterator

import pytest

import live_viewers as live
import test_content as content
from conftest import ARTIFACTS, DEMO_END, REPO, run_cli
from superset_divolte.druid import experiments as druid_experiments
from superset_divolte.druid import sessions as druid_sessions
from superset_divolte import ground_truth, sql_macros
from superset_divolte.config import LIVE_REFRESH_SECONDS
from superset_divolte.assets import load_tree
from superset_divolte.druid.client import DruidClient
from superset_divolte.collector import collected_event
from superset_divolte.event_exclusion import included_events
from superset_divolte.events import (CONVERSION_EVENT, EXPERIMENT, FUNNEL_STEPS, GeneratorSettings,
                                     live_events)
from superset_divolte.kafka_sink import produce_records
from superset_divolte.local_stack import LocalStack
from superset_divolte.local_stack_process import poll_until
from superset_divolte.superset_app import SupersetHome
from superset_divolte.superset_client import SupersetApiError, SupersetClient
from superset_server import SupersetServer, home_environment, initialize_home, running_superset

pytestmark = pytest.mark.pipeline

EVENTS = 200_000
DAYS = 14
SEED = 7
END = DEMO_END
"""As the demo's: the content checks' fixed ranges are derived from it."""
TOPIC = "divolte"
DATASOURCE = "clickstream"
PASSWORD = "end-to-end-admin-password-1"
INGEST_TIMEOUT = 300.0
LIVE_TIMEOUT = 120.0
LIVE_CLICKS = 40
LIVE_DASHBOARD = "technology-popularity"
VIEWERS = 20
LOAD_SECONDS = 300.0
TRICKLE_EVERY = 2.0
TRICKLE_CLICKS = 2
INGEST_ALLOWANCE = 5.0
"""Seconds beyond the cache timeout an answer may lag the events Kafka confirmed (ingestion and the query)."""
MAX_QUERIES_PER_REFRESH = 5
"""Engine queries per chart and refresh interval the viewers may cause together, a quarter of the 20 they would
cost uncached: one, plus one for each viewer whose request comes while the first one's query still runs (Superset
does not hold them back), which grows with the server's latency on a busy machine."""


def _killed_after(marker: str, args: tuple[str, ...], environment: dict[str, str]) -> None:
    """Run the materialiser and SIGKILL it as soon as it prints a line holding ``marker`` (a task it submitted
    is left to run on)."""
    process = subprocess.Popen([sys.executable, "-m", "superset_divolte.cli", *args], cwd=REPO, env=environment,
                               stderr=subprocess.PIPE, text=True)
    try:
        lines = []
        for line in process.stderr:
            lines.append(line)
            if marker in line:
                break
        assert process.poll() is None, f"the materialiser ended before the kill:\n{''.join(lines)}"
    finally:
        process.kill()
        process.wait(timeout=30)


@dataclass(frozen=True)
class EndToEnd:
    """The provisioned, ingested and served pipeline, and what its commands said."""

    server: SupersetServer
    environment: dict[str, str]
    provision_args: tuple[str, ...]
    materialise_args: tuple[str, ...]
    generate_output: str
    provision_stdout: str
    provision_stderr: str
    ground_truth: dict[str, Any]
    timings: dict[str, float]


def _timed(timings: dict[str, float], say: Callable[[str], None], name: str, step: Callable[[], Any]) -> Any:
    say(f"end to end: {name} …")
    begun = time.monotonic()
    value = step()
    timings[name] = round(time.monotonic() - begun, 1)
    say(f"end to end: {name} took {timings[name]:.0f} s")
    return value


@pytest.fixture(scope="module")
def e2e(stack: LocalStack, druid: DruidClient, say: Callable[[str], None],
        tmp_path_factory: pytest.TempPathFactory) -> Iterator[EndToEnd]:
    """Events through Kafka into Druid, the repository's assets provisioned for Druid, Superset serving them."""
    folder = tmp_path_factory.mktemp("end-to-end")
    home = SupersetHome(folder / "home")
    environment = home_environment(home)
    # The connection URI's !env values: Superset queries this stack's broker.
    environment.update(SUPERSET_DIVOLTE_DRUID_HOST="127.0.0.1", SUPERSET_DIVOLTE_DRUID_PORT=str(stack.ports.broker))
    timings: dict[str, float] = {}
    truth_path = folder / "ground_truth.json"
    _timed(timings, say, "initialize a Superset home",
           lambda: initialize_home(home, PASSWORD, environment, folder / "superset.log"))
    generated = _timed(timings, say, f"events generate {EVENTS:,} -> Kafka", lambda: run_cli(
        "events", "generate", "--sink", f"kafka://{stack.kafka_bootstrap}/{TOPIC}", "--events", str(EVENTS),
        "--days", str(DAYS), "--end", END, "--seed", str(SEED), "--ground-truth", str(truth_path), env=environment))
    provision_args = ("provision", "--target", "druid", "--assets", str(REPO), "--home", str(home.path),
                      "--druid-overlord-url", stack.overlord_url, "--druid-broker-url",
                      stack.druid_router_or_broker_url, "--kafka-bootstrap", stack.kafka_bootstrap)
    provisioned = _timed(timings, say, "provision --target druid --wait",
                         lambda: run_cli(*provision_args, "--wait", env=environment))
    _timed(timings, say, f"Druid ingests all {EVENTS:,}",
           lambda: druid.wait_for_count(DATASOURCE, EVENTS, INGEST_TIMEOUT, progress=say))
    materialise_args = ("druid", "materialise", "--druid-overlord-url", stack.overlord_url, "--druid-broker-url",
                        stack.druid_router_or_broker_url, "--staging", str(folder / "druid-staging"))
    _timed(timings, say, "druid materialise, killed after its first sessions task", lambda: _killed_after(
        "sessions: task", materialise_args, environment))
    _timed(timings, say, "druid materialise, killed after its experiments task", lambda: _killed_after(
        "experiments: task", materialise_args, environment))
    _timed(timings, say, "druid materialise again, to the end", lambda: run_cli(*materialise_args, env=environment))
    say("end to end: start Superset …")
    begun = time.monotonic()
    with running_superset(folder, PASSWORD) as server:
        timings["start Superset"] = round(time.monotonic() - begun, 1)
        say(f"end to end: Superset serves {server.base_url}; timings so far (s): {timings}")
        try:
            yield EndToEnd(server, environment, provision_args, materialise_args, generated.stderr,
                           provisioned.stdout,
                           provisioned.stderr, json.loads(truth_path.read_text()), timings)
        finally:
            # Its task publishes and frees the indexer's heap for the other pipeline tests (the rows stay).
            druid.terminate_supervisor(DATASOURCE)


@pytest.fixture(scope="module")
def truth(e2e: EndToEnd) -> dict[str, Any]:
    """The ground truth ``events generate --ground-truth`` wrote once every event was confirmed by Kafka."""
    return e2e.ground_truth


@pytest.fixture(scope="module")
def written(truth: dict[str, Any]) -> list[dict[str, Any]]:
    """The events sent, generated again in this process: the same seed gives the same events."""
    settings = GeneratorSettings(seed=SEED, events=EVENTS, days=DAYS, end=datetime.fromisoformat(END))
    return content.regenerated_events(settings, truth)


@pytest.fixture(scope="module")
def records(written: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The included events sent: what every metric counts."""
    return included_events(written)


@pytest.fixture(scope="module")
def live_sent() -> list[dict[str, Any]]:
    """Events the live tests produce after the fixture's (each test adds its own, in the order sent)."""
    return []


@pytest.fixture(scope="module")
def sessions(records: list[dict[str, Any]]) -> dict[str, ground_truth.SessionFacts]:
    """Facts per session of the events sent."""
    return ground_truth.sessions_of(records)


@pytest.fixture(scope="module")
def client(e2e: EndToEnd) -> Iterator[SupersetClient]:
    """A client of the Superset serving the Druid-provisioned home, logged in as its admin."""
    with SupersetClient(e2e.server.base_url, e2e.server.username, e2e.server.password) as client:
        client.login()
        yield client


@pytest.fixture(scope="module")
def tree_charts() -> dict[str, dict[str, Any]]:
    """Chart files of the repository's tree by file stem, resolved for Druid."""
    return content.charts_of_tree("druid")


@pytest.fixture(scope="module")
def chart_ids(client: SupersetClient, tree_charts: dict[str, dict[str, Any]]) -> dict[str, int]:
    """Superset's chart id for each chart file stem, matched by uuid."""
    return content.chart_ids_by_stem(client, tree_charts)


@pytest.fixture(scope="module")
def runner(client: SupersetClient, chart_ids: dict[str, int]) -> content.Runner:
    """Runs the charts' saved query contexts on the Druid-provisioned Superset (cache bypassed)."""
    return content.Runner(client, chart_ids)


def _summary(stdout: str) -> str:
    """The counts line of ``provision`` (Superset prints its own lines before it)."""
    return next(line for line in stdout.splitlines() if line.startswith("created "))


# --- the pipeline delivered every event, once, and provisioned every object ------------------------------------


def test_the_cli_sent_every_event_and_druid_holds_each_once(e2e: EndToEnd, druid: DruidClient,
                                                            written: list[dict[str, Any]]) -> None:
    assert f"wrote {EVENTS:,} events to kafka://" in e2e.generate_output
    assert f"Druid supervisor {DATASOURCE}: created" in e2e.provision_stderr
    assert druid.count(DATASOURCE) == len(written) == EVENTS
    status = druid.supervisor_status(DATASOURCE)
    assert status.state == "RUNNING" and status.unparseable == 0 and status.processed_with_error == 0, status
    assert status.processed == EVENTS and status.thrown_away == 0, status


def test_provisioning_created_every_object_of_the_tree(e2e: EndToEnd, client: SupersetClient,
                                                       tree_charts: dict[str, dict[str, Any]]) -> None:
    assert _summary(e2e.provision_stdout) == f"created {len(load_tree(REPO).files)}, updated 0, unchanged 0"
    assert {row["uuid"] for row in client.list_objects("chart")} == {str(c["uuid"]) for c in tree_charts.values()}
    [database] = client.list_objects("database")
    assert client.get_json(f"/api/v1/database/{database['id']}")["result"]["backend"] == "druid"


def test_every_chart_runs_its_saved_query_on_druid(client: SupersetClient, chart_ids: dict[str, int]) -> None:
    failures = {}
    for stem, chart_id in sorted(chart_ids.items()):
        try:
            body = client.chart_data_from_saved_context(chart_id, force=True)
            for result in body["result"]:
                assert result.get("status") == "success" and not result.get("error"), result
                assert isinstance(result["data"], list)
        except Exception as error:  # noqa: BLE001 - collect every failing chart
            failures[stem] = str(error)[:800]
    assert not failures, f"{len(failures)} of {len(chart_ids)} charts fail on Druid:\n" + "\n".join(
        f"{stem}: {error}" for stem, error in failures.items())


# --- every number against the ground truth: test_content's checks, collected here on Druid ----------------------

test_the_fixture_span_covers_every_event = content.test_the_fixture_span_covers_every_event
test_kpis_count_visitors_sessions_and_page_views_of_sessions_in_range = \
    content.test_kpis_count_visitors_sessions_and_page_views_of_sessions_in_range
test_live_tile_counts_the_events_of_the_last_15_minutes = \
    content.test_live_tile_counts_the_events_of_the_last_15_minutes
test_events_and_page_views_per_day = content.test_events_and_page_views_per_day
test_top_pages_are_the_ten_most_viewed = content.test_top_pages_are_the_ten_most_viewed
test_session_breakdowns = content.test_session_breakdowns
test_visitors_by_operating_system = content.test_visitors_by_operating_system
test_visitors_by_screen_size_are_the_ten_most_common = content.test_visitors_by_screen_size_are_the_ten_most_common
test_bounce_rate_duration_and_conversion = content.test_bounce_rate_duration_and_conversion
test_duration_distribution_in_bucket_order = content.test_duration_distribution_in_bucket_order
test_bounce_rate_per_day = content.test_bounce_rate_per_day
test_landing_and_exit_pages = content.test_landing_and_exit_pages
test_page_flow_matches_the_order_of_page_views_in_sessions = \
    content.test_page_flow_matches_the_order_of_page_views_in_sessions
test_experiment_results_per_variant_and_unit = content.test_experiment_results_per_variant_and_unit
test_experiment_days_of_first_exposure = content.test_experiment_days_of_first_exposure
test_the_freshness_tiles_show_the_latest_event_their_charts_count = \
    content.test_the_freshness_tiles_show_the_latest_event_their_charts_count
test_technology_clicks_over_time = content.test_technology_clicks_over_time
test_signup_funnel_counts_ordered_steps_within_24_hours = content.test_signup_funnel_counts_ordered_steps_within_24_hours
test_excluded_events_by_reason_equal_the_ground_truth = content.test_excluded_events_by_reason_equal_the_ground_truth


@pytest.mark.parametrize("unit", ["visitors", "sessions"])
def test_the_experiment_verdict_charts_count_exposures_and_conversions(
        runner: content.Runner, truth: dict[str, Any], unit: str) -> None:
    rows = runner.run(f"experiment_verdict_{unit}")["data"]
    # One row per variant and hour of first exposure (the chart replays the hours as looks): summed here.
    shown: dict[str, tuple[int, int]] = {}
    for row in rows:
        exposed, converted = shown.get(row["variant"], (0, 0))
        shown[row["variant"]] = (exposed + row["exposed_units"], converted + row["converted_units"])
    assert shown == {variant: (cell[unit]["exposed"], cell[unit]["converted"])
                     for variant, cell in truth["experiments"]["pricing-cta"].items()}


def test_distinct_counts_are_in_the_exact_range_of_their_sketches(truth: dict[str, Any],
                                                                   records: list[dict[str, Any]]) -> None:
    parties = {r["partyId"] for r in records}
    assert 0 < len(parties) < 65_536 and len({r["sessionId"] for r in records}) < 65_536


def test_the_sessions_datasource_holds_each_session_once(druid: DruidClient,
                                                         sessions: dict[str, ground_truth.SessionFacts],
                                                         records: list[dict[str, Any]]) -> None:
    rows = druid.sql('SELECT COUNT(*) AS "n", COUNT(DISTINCT "sessionId") AS "ids", SUM("events") AS "events" '
                     'FROM "sessions"', context={"useApproximateCountDistinct": False})
    assert rows == [{"n": len(sessions), "ids": len(sessions), "events": len(records)}], "included events only"


def test_materialising_again_changes_nothing(e2e: EndToEnd, druid: DruidClient, stack: LocalStack) -> None:
    checksum = ('SELECT COUNT(*) AS "n", SUM("events") AS "events", SUM("page_views") AS "views", '
                'SUM("duration_s") AS "duration", MAX("session_end_ms") AS "end" FROM "sessions"')
    experiments = ('SELECT COUNT(*) AS "n", SUM("exposed") AS "exposed", SUM("converted") AS "converted", '
                   'MAX("last_event_ms") AS "last" FROM "experiments"')
    before = druid.sql(checksum), druid.sql(experiments)
    again = run_cli("druid", "materialise", "--druid-overlord-url", stack.overlord_url, "--druid-broker-url",
                    stack.druid_router_or_broker_url, env=e2e.environment)
    assert "day(s) to materialise" in again.stderr and druid_sessions.freshness(druid) in again.stderr
    assert "experiments: no new experiment events, rows unchanged" in again.stderr
    assert druid_experiments.freshness(druid) in again.stderr
    assert (druid.sql(checksum), druid.sql(experiments)) == before


@contextmanager
def _max_subquery_rows(client: SupersetClient, rows: int) -> Iterator[None]:
    """The Druid connection's maxSubqueryRows set to rows inside the block, restored after."""
    [database] = client.list_objects("database")
    path = f"/api/v1/database/{database['id']}"
    extra = json.loads(client.get_json(f"{path}/connection")["result"]["extra"])
    lowered = json.loads(json.dumps(extra))
    lowered["engine_params"]["connect_args"]["context"]["maxSubqueryRows"] = rows
    client.request("PUT", path, json={"extra": json.dumps(lowered)})
    try:
        yield
    finally:
        client.request("PUT", path, json={"extra": json.dumps(extra)})


def test_every_chart_answers_with_max_subquery_rows_of_10_000(client: SupersetClient, chart_ids: dict[str, int],
                                                              say: Callable[[str], None]) -> None:
    """No chart holds a Broker-side copy of raw events: each answers with 10,000 subquery rows over 200,000
    events (the funnels exactly: the next test)."""
    failures = {}
    with _max_subquery_rows(client, 10_000):
        for stem, chart_id in sorted(chart_ids.items()):
            try:
                client.chart_data_from_saved_context(chart_id, force=True)
            except SupersetApiError as error:
                failures[stem] = str(error)[:300]
    say(f"with maxSubqueryRows 10,000: {len(chart_ids) - len(failures)} of {len(chart_ids)} charts answer")
    assert not failures, failures
    assert len(chart_ids) >= 30


HOUR_PAST_SPAN = content.time_range(content.days_before_end(14 - 1 / 24), content.days_before_end(-1 / 24))
"""The fixture's span moved on by an hour: not whole days, so even the signup funnel is counted on the events."""


@pytest.mark.parametrize(("steps", "window", "window_ms", "span"), [
    (("signupStart", "signupComplete"), "30 minutes", 30 * 60_000, content.WHOLE_SPAN),
    (("pricingView", "signupStart", "signupComplete", "purchase"), "1 day", 86_400_000, content.WHOLE_SPAN),
    (("pricingView", "signupStart", "signupComplete", "purchase"), "1 day", 86_400_000, HOUR_PAST_SPAN),
    (("pageView", "pricingView", "signupStart"), "1 hour", 3_600_000, content.WHOLE_SPAN),
], ids=["two steps", "the signup funnel over whole days", "the signup funnel from the events",
        "three steps from page views"])
def test_a_funnel_answers_exactly_with_max_subquery_rows_of_10_000(
        client: SupersetClient, runner: content.Runner, records: list[dict[str, Any]],
        steps: tuple[str, ...], window: str, window_ms: int, span: str) -> None:
    """Funnels are counted by nested group-bys alone, or from the materialised signup funnel's sketches:
    exact, with no per-party rows in the Broker."""
    context = runner.context("funnel_chosen_steps")
    for query in context["queries"]:
        query["time_range"] = span
        query["filters"] = [*(query.get("filters") or []), {"col": "eventType", "op": "IN", "val": list(steps)},
                            {"col": "conversion_window", "op": "IN", "val": [window]}]
    context["force"] = True
    with _max_subquery_rows(client, 10_000):
        result = client.request("POST", "/api/v1/chart/data", json=context).json()["result"][0]
    in_range = ground_truth.in_range(records, *content.bounds(result))
    expected = ground_truth.funnel_counts(in_range, steps, window_ms)
    assert {row["step"]: row["visitors"] for row in result["data"]} == dict(zip(steps, expected))
    assert expected[-1] > 300


def _whole_days(first: int, last: int) -> str:
    """Days ``first`` to ``last`` before the fixture's end (midnight), as a Superset range."""
    return content.time_range(content.days_before_end(first), content.days_before_end(last))


@pytest.mark.parametrize("span", [(14, 0), (10, 3), (5, 4), (1, 0), (8, 6)],
                         ids=lambda span: f"days {span[0]} to {span[1]} before the end")
def test_the_signup_funnel_over_whole_days_reads_the_materialised_levels_exactly(
        runner: content.Runner, druid: DruidClient, records: list[dict[str, Any]], span: tuple[int, int]) -> None:
    """Ranges of whole days, one of them a single day: each range's last day counts only its own events (an
    attempt starting that day ends outside the range), the days before it their attempts' next day too."""
    assert content.FIXTURE_END.hour == 0 and druid.count(sql_macros.MATERIALISED_FUNNEL_TABLE) > 0
    for stem in ("signup_funnel", "signup_funnel_steps"):
        result = runner.run(stem, _whole_days(*span))
        expected = ground_truth.funnel_counts(ground_truth.in_range(records, *content.bounds(result)))
        assert content.column(result, "step", "visitors") == dict(zip(FUNNEL_STEPS, expected)), stem
        assert sql_macros.reads_materialised_funnel(FUNNEL_STEPS, 1440, *(
            datetime.fromtimestamp(ms / 1000, timezone.utc).replace(tzinfo=None) for ms in content.bounds(result)))
        assert expected[0] > 0


# --- provisioning again, and live data (last: it adds events) ------------------------------------------------


def test_provisioning_again_changes_nothing(e2e: EndToEnd) -> None:
    again = run_cli(*e2e.provision_args, env=e2e.environment)
    assert f"Druid supervisor {DATASOURCE}: unchanged" in again.stderr
    assert f"Druid compaction {DATASOURCE}: unchanged" in again.stderr
    assert _summary(again.stdout) == f"created 0, updated 0, unchanged {len(load_tree(REPO).files)}"


def _technology_clicks(runner: content.Runner) -> dict[str, int]:
    return content.column(runner.run("technology_popularity"), "technology", "clicks")


def _live_tile_matches(runner: content.Runner, events: list[dict[str, Any]]) -> bool:
    """True when the live tile counts exactly the events of its last 15 minutes."""
    tile = runner.run("traffic_events_last_15_minutes")
    return tile["data"] == [{"events": len(ground_truth.in_range(events, *content.bounds(tile)))}]


def test_live_clicks_show_up_in_the_chart_data_without_provisioning_again(
        stack: LocalStack, runner: content.Runner, records: list[dict[str, Any]], live_sent: list[dict[str, Any]],
        say: Callable[[str], None]) -> None:
    before = _technology_clicks(runner)
    assert _live_tile_matches(runner, records), "the live tile before the live clicks"
    fresh = live_events(random.Random(SEED), datetime.now(timezone.utc).replace(microsecond=0), LIVE_CLICKS)
    clicks = Counter(e["technology"] for e in fresh if e["eventType"] == "click")
    assert sum(clicks.values()) == LIVE_CLICKS
    assert produce_records(stack.kafka_bootstrap, TOPIC, fresh) == len(fresh)
    live_sent.extend(fresh)
    expected = {name: before.get(name, 0) + clicks.get(name, 0) for name in before.keys() | clicks.keys()}
    begun = time.monotonic()
    shown: dict[str, int] = {}

    def grown() -> bool:
        shown.clear()
        shown.update(_technology_clicks(runner))
        assert sum(shown.values()) <= sum(expected.values()), f"more clicks than sent: {shown} > {expected}"
        return shown == expected

    poll_until("the donut to count the live clicks", grown, LIVE_TIMEOUT, interval=0.5,
               progress=lambda line: say(f"{line}: {sum(shown.values()):,} clicks shown"))
    say(f"live clicks visible through the chart data API {time.monotonic() - begun:.1f} s after confirmed delivery")
    assert sum(shown.values()) - sum(before.values()) == LIVE_CLICKS
    assert _live_tile_matches(runner, records + fresh), "the live tile after the live clicks"


def _dashboard_charts(slug: str, tree_charts: dict[str, dict[str, Any]]) -> list[str]:
    """File stems of the charts a dashboard of the tree lays out."""
    [dashboard] = [f.document for f in load_tree(REPO).of_kind("dashboards") if f.document["slug"] == slug]
    uuids = {str(node["meta"]["uuid"]) for node in dashboard["position"].values()
             if isinstance(node, dict) and node.get("type") == "CHART"}
    return sorted(stem for stem, chart in tree_charts.items() if str(chart["uuid"]) in uuids)


def test_twenty_viewers_of_the_live_dashboard_get_fresh_exact_numbers_from_one_query_per_chart_and_refresh(
        e2e: EndToEnd, stack: LocalStack, client: SupersetClient, chart_ids: dict[str, int],
        tree_charts: dict[str, dict[str, Any]], records: list[dict[str, Any]], live_sent: list[dict[str, Any]],
        say: Callable[[str], None]) -> None:
    stems = _dashboard_charts(LIVE_DASHBOARD, tree_charts)
    contexts = {stem: json.loads(client.chart(chart_ids[stem])["query_context"]) for stem in stems}
    say(f"live load: {VIEWERS} viewers refresh {len(stems)} charts every {LIVE_REFRESH_SECONDS} s for "
        f"{LOAD_SECONDS:.0f} s while a session of {TRICKLE_CLICKS} clicks arrives every {TRICKLE_EVERY:.0f} s")
    begun = time.time()
    with live.Trickle(stack.kafka_bootstrap, TOPIC, TRICKLE_EVERY, TRICKLE_CLICKS, SEED) as trickle:
        answers = live.watch(e2e.server.base_url, e2e.server.username, e2e.server.password, contexts, VIEWERS,
                             LIVE_REFRESH_SECONDS, LOAD_SECONDS)
    ended = time.time()
    truth = live.LiveTruth(records + live_sent, trickle.sent, LIVE_REFRESH_SECONDS, INGEST_ALLOWANCE)
    live_sent.extend(sent.event for sent in trickle.sent)
    failed = [a for a in answers if a.error or a.result.get("status") != "success" or a.result.get("error")]
    report = _load_report(answers, truth, stems, live.druid_sql_queries(stack.request_logs, begun, ended))
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "live-dashboard-load.json").write_text(json.dumps(report, indent=2))
    say("live load: " + json.dumps(report["summary"]))
    assert not failed, f"{len(failed)} of {len(answers)} answers failed, e.g. {failed[:3]}"
    assert len(answers) >= VIEWERS * len(stems) * (LOAD_SECONDS // LIVE_REFRESH_SECONDS)
    # The checks themselves catch a click counted for the wrong technology, and a cache entry too old.
    donut = next(a for a in answers if a.stem == "technology_popularity" and not a.result["is_cached"])
    rows = donut.result["data"]
    moved = [{**row, "clicks": row["clicks"] + (index == 0) - (index == 1)} for index, row in enumerate(rows)]
    assert truth.judge([dataclasses.replace(donut, result={**donut.result, "data": moved})])[0].prefix is None
    stale = datetime.fromtimestamp(donut.asked - 2 * LIVE_REFRESH_SECONDS, timezone.utc).replace(microsecond=0)
    served = dataclasses.replace(donut, result={**donut.result, "is_cached": True, "queried_dttm": stale.isoformat()})
    assert truth.judge([donut, served])[1].prefix is None
    assert not report["wrong"], f"{len(report['wrong'])} answers differ from the ground truth: {report['wrong'][:3]}"
    moved = report["summary"]["distinct_donuts"]
    assert moved >= LOAD_SECONDS / LIVE_REFRESH_SECONDS / 2, f"the donut changed only {moved} times"
    # Druid received one query per answer Superset computed, and no more: the cache answered every other.
    assert report["engine_queries"] == report["cache_misses"], report
    assert report["summary"]["engine_queries_unattributed"] <= report["cache_misses"]["technology_clicks_over_time"]
    for stem, queries in report["engine_queries"].items():
        assert queries <= MAX_QUERIES_PER_REFRESH * LOAD_SECONDS / LIVE_REFRESH_SECONDS, (stem, queries)


def _load_report(answers: list[live.Answer], truth: live.LiveTruth, stems: list[str],
                 logged: list[str]) -> dict[str, Any]:
    """Latencies, correctness, staleness and engine queries of a load run, for the artifact and the asserts."""
    latencies = [a.answered - a.asked for a in answers]
    refreshes: dict[tuple[int, int], list[live.Answer]] = {}
    for answer in answers:
        refreshes.setdefault((answer.viewer, answer.refresh), []).append(answer)
    refresh_times = [max(a.answered for a in group) - min(a.asked for a in group) for group in refreshes.values()]
    verdicts = truth.judge(answers)
    wrong = [{"stem": v.answer.stem, "asked": v.answer.asked, "answered": v.answer.answered, "why": v.why,
              "is_cached": v.answer.result["is_cached"], "queried_dttm": v.answer.result["queried_dttm"],
              "data": v.answer.result["data"][:20]} for v in verdicts if v.prefix is None]
    staleness = [max(0.0, v.answer.asked - truth.trickle[v.prefix].confirmed_at) for v in verdicts
                 if v.prefix is not None and v.prefix < len(truth.trickle)]
    # Druid's request log, each query attributed to the chart whose queries have its form; a chart whose
    # series are limited (clicks over time) first asks for its top series: a second query of another form.
    templates = {stem: {live.sql_template(a.result["query"]) for a in answers if a.stem == stem and a.result}
                 for stem in stems}
    logged_templates = [live.sql_template(query) for query in logged]
    engine = {stem: sum(template in forms for template in logged_templates) for stem, forms in templates.items()}
    known = set().union(*templates.values())
    unattributed = [query[:600] for query, template in zip(logged, logged_templates) if template not in known]
    misses = {stem: sum(1 for a in answers if a.stem == stem and a.result and not a.result["is_cached"])
              for stem in stems}
    donuts = {json.dumps(a.result["data"], sort_keys=True) for a in answers if a.stem == "technology_popularity"}
    summary = {
        "viewers": VIEWERS, "seconds": LOAD_SECONDS, "answers": len(answers),
        "latency_p50_s": round(live.percentile(latencies, 0.5), 3),
        "latency_p95_s": round(live.percentile(latencies, 0.95), 3), "latency_max_s": round(max(latencies), 3),
        "refresh_p95_s": round(live.percentile(refresh_times, 0.95), 3),
        "wrong": len(wrong), "trickle_events": len(truth.trickle), "distinct_donuts": len(donuts),
        "staleness_p95_s": round(live.percentile(staleness, 0.95), 2) if staleness else 0.0,
        "staleness_max_s": round(max(staleness), 2) if staleness else 0.0,
        "engine_queries": len(logged), "engine_queries_unattributed": len(unattributed),
        "cache_misses": sum(misses.values()),
        "engine_queries_per_chart_and_refresh": round(
            sum(engine.values()) / len(stems) / (LOAD_SECONDS / LIVE_REFRESH_SECONDS), 2)}
    return {"summary": summary, "engine_queries": engine, "cache_misses": misses, "wrong": wrong,
            "load_average": os.getloadavg(), "unattributed_engine_queries": sorted(set(unattributed))[:3]}


# --- the sample site's clicks, through Kafka and Druid, on the dashboards (last: it adds events) -------------

SITE_VISITS = (
    (("kafka", "druid", "kafka", "superset", "divolte"), None),
    (("druid", "druid"), "purchase"),
    ((), "signupComplete"),
    (("superset",), "signupStart"),
    ((), "pricingView"),
    (("kafka",), "purchase"),
)
"""Each visitor's logo clicks on the home page, then how far down the signup funnel they go (None: not at all)."""


@dataclass
class SiteTally:
    """What the visitors did, counted by the test as it clicked: the numbers the dashboards must add."""

    clicks: Counter
    funnel: Counter
    exposed: Counter
    converted: Counter
    events_by_day: Counter
    page_views_by_day: Counter


def _visit_the_sample_site(say: Callable[[str], None]) -> tuple[list[dict[str, Any]], SiteTally]:
    """Every visitor of ``SITE_VISITS`` in Chromium: the signals recorded, and the test's own tally."""
    from sample_site import chromium, new_visitor, open_page, recorded, variant_of, walk_the_funnel

    signals: list[dict[str, Any]] = []
    tally = SiteTally(Counter(), Counter(), Counter(), Counter(), Counter(), Counter())
    with chromium() as browser:
        for clicks, depth in SITE_VISITS:
            with new_visitor(browser) as page:
                if clicks:
                    open_page(page, "/")
                    for technology in clicks:
                        page.click(f"[data-technology={technology}]")
                if depth:
                    walk_the_funnel(page, depth)
                signals += recorded(page)
                variant = variant_of(page)
            tally.clicks.update(clicks)
            if depth:
                reached = FUNNEL_STEPS[:FUNNEL_STEPS.index(depth) + 1]
                tally.funnel.update(reached)
                for unit in ("visitors", "sessions"):  # one session per visitor
                    tally.exposed[(variant, unit)] += 1
                    tally.converted[(variant, unit)] += CONVERSION_EVENT in reached
    for signal in signals:
        day = ground_truth.utc_day(signal["clientTimestamp"])
        tally.events_by_day[day] += 1
        tally.page_views_by_day[day] += signal["type"] == "pageView"
    say(f"sample site: {len(SITE_VISITS)} visitors sent {len(signals)} signals; clicks {dict(tally.clicks)}")
    return signals, tally


def _arrived_numbers(runner: content.Runner) -> dict[str, Counter]:
    """Numbers that grow with every event Druid ingests: clicks per technology, events and page views per day."""
    per_day = runner.run("traffic_events_and_page_views_per_day")["data"]
    return {
        "clicks": Counter(_technology_clicks(runner)),
        "events_by_day": Counter({content.day_of(r["__time"]): r["events"] for r in per_day}),
        "page_views_by_day": Counter({content.day_of(r["__time"]): r["page_views"] for r in per_day}),
    }


def _funnel_and_experiment_numbers(runner: content.Runner) -> dict[str, Counter]:
    """Visitors per signup funnel step; exposed and converted units per variant and unit."""
    experiments = [r for r in runner.run("experiment_results")["data"] if r["experiment"] == EXPERIMENT]
    return {
        "funnel": Counter(content.column(runner.run("signup_funnel"), "step", "visitors")),
        "exposed": Counter({(r["variant"], r["unit"]): r["exposed"] for r in experiments}),
        "converted": Counter({(r["variant"], r["unit"]): r["converted"] for r in experiments}),
    }


def test_the_sample_sites_clicks_through_kafka_add_exactly_them_to_the_dashboards(
        e2e: EndToEnd, stack: LocalStack, runner: content.Runner, say: Callable[[str], None]) -> None:
    """The sample pages in Chromium with a recording stand-in for divolte; each signal mapped as the collector
    maps it (``collector.collected_event``), written with the project's Kafka sink to the topic Druid ingests;
    the dashboards then count exactly the clicks, funnel steps, exposures and conversions the test made."""
    timings: dict[str, float] = {}
    materialise = lambda: run_cli(*e2e.materialise_args, env=e2e.environment)  # noqa: E731
    # The experiment charts read the materialised experiments datasource: what the earlier tests sent is in.
    _timed(timings, say, "sample site: druid materialise before", materialise)
    before = _timed(timings, say, "sample site: the clicks and events charts before", lambda: _arrived_numbers(runner))
    with ThreadPoolExecutor(max_workers=1) as charts:
        # The slower funnel and experiment charts are read while the visitors click (nothing is sent yet).
        analysed = charts.submit(_funnel_and_experiment_numbers, runner)
        signals, tally = _timed(timings, say, "sample site: visitors in Chromium",
                                lambda: _visit_the_sample_site(say))
        before.update(analysed.result())
    records = [collected_event(signal, signal["clientTimestamp"], "127.0.0.1") for signal in signals]
    recount = ground_truth.compute(records)
    assert (recount["clicks_by_technology"], recount["funnel"]["parties"]) == (
        tally.clicks, [tally.funnel[step] for step in FUNNEL_STEPS]), "the records are not the clicks made"
    assert produce_records(stack.kafka_bootstrap, TOPIC, records) == len(records)
    made = {name: getattr(tally, name) for name in before}
    expected = {name: before[name] + made[name] for name in before}
    shown: dict[str, Counter] = {}

    def arrived() -> bool:
        shown.update(_arrived_numbers(runner))
        return all(shown[name] == expected[name] for name in ("clicks", "events_by_day", "page_views_by_day"))

    try:
        _timed(timings, say, "sample site: Druid serves every event", lambda: poll_until(
            "the charts to count every event of the sample site", arrived, LIVE_TIMEOUT, interval=0.5, progress=say))
        # Every event is in: materialised once more, the funnel and the experiment count all of them.
        _timed(timings, say, "sample site: druid materialise after", materialise)
        shown.update(_timed(timings, say, "sample site: funnel and experiment charts",
                            lambda: _funnel_and_experiment_numbers(runner)))
    finally:
        say(f"sample site: added {({name: dict(shown.get(name, Counter()) - before[name]) for name in before})}, "
            f"made {({name: dict(count) for name, count in made.items()})}")
    assert shown == expected
