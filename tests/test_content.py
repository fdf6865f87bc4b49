"""The clickstream content (datasets, charts, dashboards) against the generator's ground truth.

Every chart's saved query context runs through ``POST /api/v1/chart/data`` on
the demo (DuckDB target), and every number it returns is compared with counts
made in Python from the same generated events (``ground_truth``), for the time
range Superset actually resolved. Charts with ranges relative to now are run a
second time with the range replaced by the fixture's whole span, so their
numbers are checked in full whatever today's date is.

The ground-truth checks ask only for the fixtures ``runner``, ``records``,
``sessions`` and ``truth``, never for the demo itself: the end-to-end pipeline
test (``tests/pipeline/test_end_to_end.py``) collects the same checks again with
fixtures of its own, so one set of comparisons holds the Druid target (events
through Kafka into Druid) to the ground truth as it holds DuckDB here. Events of
both end at ``DEMO_END`` and span 14 days, so the fixed ranges below fit both.
"""

from __future__ import annotations

import copy
import json
import shutil
import uuid
from collections import Counter, defaultdict
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest
import yaml

from conftest import DEMO_END, DEMO_EVENTS, REPO, ProvisionedDemo, run_cli
from superset_divolte import ground_truth, query_context
from superset_divolte.assets import AssetLoader, dump_yaml, load_tree, resolve
from superset_divolte.bundle import build_bundle, zip_bytes
from superset_divolte.event_exclusion import REASON_NAMES, exclusion_reason, included_events
from superset_divolte.event_store import write_events
from superset_divolte.events import FUNNEL_STEPS, GeneratorSettings, generate_events
from superset_divolte.superset_client import SupersetClient

DAY_MS = 86_400_000
FIXTURE_END = datetime.fromisoformat(DEMO_END)
FIXTURE_END_MS = int(FIXTURE_END.timestamp() * 1000)
FIXTURE_START_MS = FIXTURE_END_MS - 14 * DAY_MS


def days_before_end(days: float) -> datetime:
    """A moment ``days`` before the fixture's last event (UTC)."""
    return FIXTURE_END - timedelta(days=days)


def iso(moment: datetime) -> str:
    """A UTC moment as Superset's time filter writes it (no zone)."""
    return f"{moment:%Y-%m-%dT%H:%M:%S}"


def time_range(start: datetime, end: datetime) -> str:
    """A fixed range in Superset's ``start : end`` spelling."""
    return f"{iso(start)} : {iso(end)}"


WHOLE_SPAN = time_range(days_before_end(14), FIXTURE_END)
"""The fixture's events from first to last: a fixed range standing in for a dashboard's time filter."""
PEAK_QUARTER = time_range(days_before_end(10 / 24), days_before_end(9.75 / 24))
"""A quarter of an hour full of events (14:00 on the last day), for the live tile's 'last 15 minutes'."""
DASHBOARDS = {"traffic-overview": "traffic_overview", "sessions-and-funnels": "sessions_and_funnels",
              "experiments": "experiments", "technology-popularity": "technology_popularity",
              "retention": "retention", "funnels": "funnels"}


# --- fixtures -----------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def written(demo: ProvisionedDemo) -> list[dict[str, Any]]:
    """The fixture's events, generated again: the same seed gives the same events the demo loaded."""
    return regenerated_events(GeneratorSettings(seed=42, events=DEMO_EVENTS, days=14,
                                                end=datetime.fromisoformat(DEMO_END)), demo.ground_truth)


@pytest.fixture(scope="module")
def records(written: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The fixture's included events: what every metric counts (docs/metrics.md, "Included events")."""
    return included_events(written)


@pytest.fixture(scope="module")
def truth(demo: ProvisionedDemo) -> dict[str, Any]:
    """The ground truth written when the events were generated (here, by the demo)."""
    return demo.ground_truth


@pytest.fixture(scope="module")
def sessions(records: list[dict[str, Any]]) -> dict[str, ground_truth.SessionFacts]:
    """Facts per session of the fixture's events."""
    return ground_truth.sessions_of(records)


@pytest.fixture(scope="module")
def client(demo: ProvisionedDemo) -> Iterator[SupersetClient]:
    """A client of the demo's Superset, logged in as its admin."""
    with SupersetClient(demo.server.base_url, demo.server.username, demo.server.password) as client:
        client.login()
        yield client


@pytest.fixture(scope="module")
def tree_charts() -> dict[str, dict[str, Any]]:
    """Chart files of the repository's tree by file stem, resolved for DuckDB."""
    return charts_of_tree("duckdb")


@pytest.fixture(scope="module")
def chart_ids(client: SupersetClient, tree_charts: dict[str, dict[str, Any]]) -> dict[str, int]:
    """Superset's chart id for each chart file stem, matched by uuid."""
    return chart_ids_by_stem(client, tree_charts)


class Runner:
    """Runs charts' saved query contexts, as saved or with another time range."""

    def __init__(self, client: SupersetClient, chart_ids: dict[str, int]) -> None:
        self.client = client
        self.chart_ids = chart_ids

    def context(self, stem: str) -> dict[str, Any]:
        saved = self.client.chart(self.chart_ids[stem])["query_context"]
        assert saved, f"chart {stem} has no saved query context"
        return json.loads(saved)

    def run(self, stem: str, time_range: str | None = None) -> dict[str, Any]:
        """The chart's first query result; ``time_range`` replaces the chart's own range."""
        context = self.context(stem)
        if time_range is not None:
            for query in context["queries"]:
                for condition in query.get("filters") or []:
                    if condition.get("op") == "TEMPORAL_RANGE":
                        condition["val"] = time_range
                if "time_range" in query:
                    query["time_range"] = time_range
        context["force"] = True
        body = self.client.request("POST", "/api/v1/chart/data", json=context).json()
        result = body["result"][0]
        assert result.get("status") == "success" and not result.get("error"), result
        return result


@pytest.fixture(scope="module")
def runner(client: SupersetClient, chart_ids: dict[str, int]) -> Runner:
    """Runs the demo's charts."""
    return Runner(client, chart_ids)


# --- helpers ------------------------------------------------------------------------------------------------


def regenerated_events(settings: GeneratorSettings, written_truth: dict[str, Any]) -> list[dict[str, Any]]:
    """The events of ``settings`` generated again, checked to be those whose ground truth was written."""
    events = generate_events(settings)
    # Compared through JSON, as the CLI wrote it (keys become strings there).
    truth = json.loads(json.dumps(ground_truth.compute(events)))
    assert {key: truth[key] for key in written_truth} == written_truth, "not the events that were loaded"
    return events


def charts_of_tree(target: str) -> dict[str, dict[str, Any]]:
    """Chart files of the repository's tree by file stem, resolved for ``target``."""
    return {Path(file.import_path).stem: resolve(file.document, target, placeholder="x")
            for file in load_tree(REPO).of_kind("charts")}


def chart_ids_by_stem(client: SupersetClient, tree_charts: dict[str, dict[str, Any]]) -> dict[str, int]:
    """Superset's chart id for each chart file stem, matched by uuid."""
    by_uuid = {row["uuid"]: row["id"] for row in client.list_objects("chart")}
    return {stem: by_uuid[str(chart["uuid"])] for stem, chart in tree_charts.items()}


def bounds(result: dict[str, Any]) -> tuple[int | None, int | None]:
    """The time range Superset applied, in epoch ms ([from, to), None where open)."""
    def ms(value: Any) -> int | None:
        return None if value is None else int(value)
    return ms(result.get("from_dttm")), ms(result.get("to_dttm"))


def column(result: dict[str, Any], key: str, value: str) -> dict[Any, Any]:
    """``{row[key]: row[value]}`` of a result."""
    rows = result["data"]
    keys = [row[key] for row in rows]
    assert len(keys) == len(set(keys)), f"{key} repeats in {rows}"
    return {row[key]: row[value] for row in rows}


def day_of(epoch_ms: float) -> str:
    """UTC day of a result's time value."""
    return ground_truth.utc_day(int(epoch_ms))


def starting(sessions: dict[str, ground_truth.SessionFacts], result: dict[str, Any]) -> list[ground_truth.SessionFacts]:
    """The sessions a result's time range keeps (start in range)."""
    return list(ground_truth.sessions_starting(sessions, *bounds(result)).values())


def by(facts: list[ground_truth.SessionFacts], key: Callable[[ground_truth.SessionFacts], Any]) -> dict[Any, list]:
    groups: dict[Any, list] = defaultdict(list)
    for fact in facts:
        groups[key(fact)].append(fact)
    return groups


def rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def both_ranges(runner: Runner, stem: str) -> list[dict[str, Any]]:
    """The chart run as saved, and again over the fixture's whole span."""
    return [runner.run(stem), runner.run(stem, WHOLE_SPAN)]


# --- every chart runs -------------------------------------------------------------------------------------


def test_every_chart_of_the_tree_is_provisioned_and_its_saved_query_succeeds(
        runner: Runner, tree_charts: dict[str, dict[str, Any]], chart_ids: dict[str, int]) -> None:
    assert set(chart_ids) == set(tree_charts)
    failures = {}
    for stem in sorted(tree_charts):
        try:
            result = runner.run(stem)
            assert isinstance(result["data"], list)
        except Exception as error:  # noqa: BLE001 - collect every failing chart
            failures[stem] = str(error)[:500]
    assert not failures, failures


def test_the_fixture_span_covers_every_event(records: list[dict[str, Any]]) -> None:
    assert len(ground_truth.in_range(records, FIXTURE_START_MS, FIXTURE_END_MS)) == len(records)


# --- traffic overview -------------------------------------------------------------------------------------


def test_kpis_count_visitors_sessions_and_page_views_of_sessions_in_range(
        runner: Runner, sessions: dict[str, ground_truth.SessionFacts], truth: dict[str, Any]) -> None:
    for stem, key in (("traffic_unique_visitors", "visitors"), ("traffic_sessions", "sessions"),
                      ("traffic_page_views", "page_views"), ("sessions_total", "sessions")):
        saved, whole = both_ranges(runner, stem)
        for result in (saved, whole):
            facts = starting(sessions, result)
            expected = {"visitors": len({f.party_id for f in facts}), "sessions": len(facts),
                        "page_views": sum(f.page_views for f in facts)}[key]
            assert result["data"] == [{key: expected}], (stem, bounds(result))
        assert whole["data"][0][key] == truth[key]


def test_live_tile_counts_the_events_of_the_last_15_minutes(runner: Runner, records: list[dict[str, Any]]) -> None:
    saved = runner.run("traffic_events_last_15_minutes")
    start, end = bounds(saved)
    assert end - start == 15 * 60_000
    assert saved["data"] == [{"events": len(ground_truth.in_range(records, start, end))}]
    peak = runner.run("traffic_events_last_15_minutes", PEAK_QUARTER)
    expected = len(ground_truth.in_range(records, *bounds(peak)))
    assert expected > 50 and peak["data"] == [{"events": expected}]


def test_events_and_page_views_per_day(runner: Runner, records: list[dict[str, Any]], truth: dict[str, Any]) -> None:
    saved, whole = both_ranges(runner, "traffic_events_and_page_views_per_day")
    for result in (saved, whole):
        kept = ground_truth.in_range(records, *bounds(result))
        shown = {day_of(row["__time"]): (row["events"], row["page_views"]) for row in result["data"]}
        events = Counter(ground_truth.utc_day(r["timestamp"]) for r in kept)
        views = Counter(ground_truth.utc_day(r["timestamp"]) for r in kept if r["eventType"] == "pageView")
        assert shown == {day: (events[day], views[day]) for day in events}
    shown = {day_of(row["__time"]): row["events"] for row in whole["data"]}
    assert shown == truth["events_by_day"]
    assert {day_of(row["__time"]): row["page_views"] for row in whole["data"]} == truth["page_views_by_day"]


def test_top_pages_are_the_ten_most_viewed(runner: Runner, records: list[dict[str, Any]],
                                           truth: dict[str, Any]) -> None:
    saved, whole = both_ranges(runner, "traffic_top_pages")
    for result in (saved, whole):
        views = Counter(r["locationPath"] for r in ground_truth.in_range(records, *bounds(result))
                        if r["eventType"] == "pageView")
        assert column(result, "locationPath", "page_views") == dict(views.most_common(10))
        assert [row["page_views"] for row in result["data"]] == sorted(views.values(), reverse=True)[:10]
    assert column(whole, "locationPath", "page_views") == truth["page_views_by_page"]


@pytest.mark.parametrize("stem, column_name, metric, attribute, truth_key", [
    ("traffic_sessions_by_source", "traffic_source", "sessions", "referrer_host", "sessions_by_referrer_host"),
    ("traffic_sessions_by_campaign", "campaign", "sessions", "campaign", "sessions_by_campaign"),
    ("traffic_visitors_by_device", "userAgentDeviceCategory", "visitors", "device", "visitors_by_device"),
    ("traffic_visitors_by_browser", "userAgentName", "visitors", "browser", "visitors_by_browser"),
])
def test_session_breakdowns(runner: Runner, sessions: dict[str, ground_truth.SessionFacts], truth: dict[str, Any],
                            stem: str, column_name: str, metric: str, attribute: str, truth_key: str) -> None:
    defaults = {"referrer_host": ground_truth.DIRECT, "campaign": ground_truth.NO_CAMPAIGN}
    saved, whole = both_ranges(runner, stem)
    for result in (saved, whole):
        groups = by(starting(sessions, result), lambda f: getattr(f, attribute) or defaults.get(attribute))
        expected = {name: len(facts) if metric == "sessions" else len({f.party_id for f in facts})
                    for name, facts in groups.items()}
        assert column(result, column_name, metric) == expected, bounds(result)
    assert column(whole, column_name, metric) == truth[truth_key]


def test_visitors_by_operating_system(runner: Runner, records: list[dict[str, Any]], truth: dict[str, Any]) -> None:
    # The operating system is a property of the visitor's device: counted from the events here.
    whole = runner.run("traffic_visitors_by_operating_system", WHOLE_SPAN)
    assert column(whole, "userAgentOsFamily", "visitors") == truth["visitors_by_os"]
    saved = runner.run("traffic_visitors_by_operating_system")
    start, end = bounds(saved)
    first_events = [r for r in records if r["firstInSession"]]
    expected = ground_truth.distinct_by(ground_truth.in_range(first_events, start, end),
                                        lambda r: r["userAgentOsFamily"])
    assert column(saved, "userAgentOsFamily", "visitors") == expected


def test_visitors_by_screen_size_are_the_ten_most_common(runner: Runner, records: list[dict[str, Any]],
                                                         truth: dict[str, Any]) -> None:
    saved, whole = both_ranges(runner, "traffic_visitors_by_screen_size")
    for result in (saved, whole):
        counts = Counter(ground_truth.distinct_by(ground_truth.in_range(records, *bounds(result)),
                                                  ground_truth.screen_size))
        top = counts.most_common(10)
        if len(counts) > 10:
            assert counts.most_common(11)[-1][1] < top[-1][1], "a tie at the tenth place: the top ten is ambiguous"
        assert column(result, "screen_size", "visitors") == dict(top)
    assert dict(Counter(truth["visitors_by_screen_size"]).most_common(10)) == \
        column(whole, "screen_size", "visitors")


# --- sessions and funnels ---------------------------------------------------------------------------------


def test_bounce_rate_duration_and_conversion(runner: Runner, sessions: dict[str, ground_truth.SessionFacts],
                                             truth: dict[str, Any]) -> None:
    checks = {
        "sessions_bounce_rate": ("bounce_rate", lambda fs: rate(sum(f.bounced for f in fs), len(fs)),
                                 truth["bounced_sessions"] / truth["sessions"]),
        "sessions_average_duration": ("avg_duration_ms",
                                      lambda fs: 1000 * sum(f.duration_s for f in fs) / len(fs) if fs else None,
                                      1000 * truth["total_session_duration_s"] / truth["sessions"]),
        "sessions_conversion_rate": ("conversion_rate", lambda fs: rate(sum(f.converted for f in fs), len(fs)),
                                     truth["converted_sessions"] / truth["sessions"]),
    }
    for stem, (key, compute, whole_truth) in checks.items():
        saved, whole = both_ranges(runner, stem)
        for result in (saved, whole):
            expected = compute(starting(sessions, result))
            shown = result["data"][0][key]
            assert shown == (None if expected is None else pytest.approx(expected, rel=1e-12)), stem
        assert whole["data"][0][key] == pytest.approx(whole_truth, rel=1e-12)
    bounced = runner.run("sessions_bounce_rate", WHOLE_SPAN)["data"][0]["bounce_rate"]
    assert 0.2 < bounced < 0.5


def test_duration_distribution_in_bucket_order(runner: Runner, sessions: dict[str, ground_truth.SessionFacts],
                                               truth: dict[str, Any]) -> None:
    order = [label for _, label in ground_truth.DURATION_BUCKETS]
    saved, whole = both_ranges(runner, "sessions_duration_distribution")
    for result in (saved, whole):
        groups = by(starting(sessions, result), lambda f: ground_truth.duration_bucket(f.duration_s))
        rows = result["data"]
        assert [row["duration_bucket"] for row in rows] == [label for label in order if label in groups]
        for row in rows:
            facts = groups[row["duration_bucket"]]
            assert row["sessions"] == len(facts)
            assert row["pages_per_session"] == pytest.approx(sum(f.page_views for f in facts) / len(facts))
            assert row["conversion_rate"] == pytest.approx(sum(f.converted for f in facts) / len(facts))
    assert column(whole, "duration_bucket", "sessions") == truth["session_duration_buckets"]
    assert set(column(whole, "duration_bucket", "sessions")) <= set(order)


def test_bounce_rate_per_day(runner: Runner, sessions: dict[str, ground_truth.SessionFacts],
                             truth: dict[str, Any]) -> None:
    saved, whole = both_ranges(runner, "sessions_bounce_rate_per_day")
    for result in (saved, whole):
        groups = by(starting(sessions, result), lambda f: ground_truth.utc_day(f.start_ms))
        shown = {day_of(row["__time"]): row["bounce_rate"] for row in result["data"]}
        assert shown == {day: pytest.approx(sum(f.bounced for f in fs) / len(fs), rel=1e-12)
                         for day, fs in groups.items()}
    shown = {day_of(row["__time"]): row["bounce_rate"] for row in whole["data"]}
    assert shown == {day: pytest.approx(truth["bounced_sessions_by_day"].get(day, 0) / count, rel=1e-12)
                     for day, count in truth["sessions_by_day"].items()}


def test_landing_and_exit_pages(runner: Runner, sessions: dict[str, ground_truth.SessionFacts],
                                truth: dict[str, Any]) -> None:
    saved, whole = both_ranges(runner, "sessions_landing_pages")
    for result in (saved, whole):
        groups = by(starting(sessions, result), lambda f: f.landing_page)
        assert {row["landing_page"]: (row["sessions"], row["bounce_rate"], row["avg_duration_ms"],
                                      row["conversion_rate"]) for row in result["data"]} == {
            page: (len(fs), pytest.approx(sum(f.bounced for f in fs) / len(fs)),
                   pytest.approx(1000 * sum(f.duration_s for f in fs) / len(fs)),
                   pytest.approx(sum(f.converted for f in fs) / len(fs)))
            for page, fs in groups.items()}
        assert [row["sessions"] for row in result["data"]] == sorted((len(fs) for fs in groups.values()), reverse=True)
    assert column(whole, "landing_page", "sessions") == truth["landing_pages"]
    saved, whole = both_ranges(runner, "sessions_exit_pages")
    for result in (saved, whole):
        groups = by(starting(sessions, result), lambda f: f.exit_page)
        assert {row["exit_page"]: (row["sessions"], row["pages_per_session"]) for row in result["data"]} == {
            page: (len(fs), pytest.approx(sum(f.page_views for f in fs) / len(fs))) for page, fs in groups.items()}
    assert column(whole, "exit_page", "sessions") == truth["exit_pages"]


def _transitions(records: list[dict[str, Any]], start: int | None, end: int | None) -> Counter:
    """(previous page, page) of the page views in [start, end), from session order, not from referrers."""
    flows: Counter = Counter()
    previous: dict[str, str] = {}
    for record in sorted(records, key=lambda r: r["timestamp"]):
        if record["eventType"] != "pageView":
            continue
        source = previous.get(record["sessionId"], ground_truth.ENTRANCE)
        previous[record["sessionId"]] = record["locationPath"]
        if (start is None or record["timestamp"] >= start) and (end is None or record["timestamp"] < end):
            flows[(source, record["locationPath"])] += 1
    return flows


def test_page_flow_matches_the_order_of_page_views_in_sessions(runner: Runner, records: list[dict[str, Any]],
                                                               truth: dict[str, Any]) -> None:
    saved, whole = both_ranges(runner, "sessions_page_flow")
    for result in (saved, whole):
        flows = _transitions(records, *bounds(result))
        shown = {(row["previous_page"], row["locationPath"]): row["page_views"] for row in result["data"]}
        assert len(flows) <= 100, "the table shows every transition"
        assert shown == dict(flows)
        assert [row["page_views"] for row in result["data"]] == sorted(flows.values(), reverse=True)
    shown = {(row["previous_page"], row["locationPath"]): row["page_views"] for row in whole["data"]}
    assert shown == {(source, target): count for source, targets in truth["page_transitions"].items()
                     for target, count in targets.items()}
    matrix = runner.run("sessions_page_flow_matrix", WHOLE_SPAN)
    assert {(row["previous_page"], row["locationPath"]): row["page_views"] for row in matrix["data"]} == {
        key: count for key, count in shown.items() if key[0] != ground_truth.ENTRANCE}


def test_signup_funnel_counts_ordered_steps_within_24_hours(runner: Runner, records: list[dict[str, Any]],
                                                            truth: dict[str, Any]) -> None:
    funnel = truth["funnel"]
    assert funnel["steps"] == list(FUNNEL_STEPS) and funnel["window_ms"] == DAY_MS
    for stem in ("signup_funnel", "signup_funnel_steps"):
        saved, whole = both_ranges(runner, stem)
        for result in (saved, whole):
            expected = ground_truth.funnel_counts(ground_truth.in_range(records, *bounds(result)))
            assert column(result, "step", "visitors") == dict(zip(FUNNEL_STEPS, expected)), stem
        assert [column(whole, "step", "visitors")[step] for step in FUNNEL_STEPS] == funnel["parties"]
    rows = runner.run("signup_funnel_steps", WHOLE_SPAN)["data"]
    parties = funnel["parties"]
    assert [row["step_number"] for row in rows] == [1, 2, 3, 4]
    assert [row["step"] for row in rows] == list(FUNNEL_STEPS)
    for index, row in enumerate(rows):
        previous = parties[index - 1] if index else parties[0]
        assert row["conversion_from_start"] == pytest.approx(parties[index] / parties[0])
        assert row["conversion_from_previous"] == pytest.approx(parties[index] / previous)
        assert row["drop_off_from_previous"] == pytest.approx(1 - parties[index] / previous)
    # The window rule matters on this data: out-of-order and late steps exist and are not counted.
    naive = [len({r["partyId"] for r in records if r["eventType"] == step}) for step in FUNNEL_STEPS]
    assert naive != parties and naive[-1] > parties[-1]


# --- experiments ------------------------------------------------------------------------------------------


def test_experiment_results_per_variant_and_unit(runner: Runner, truth: dict[str, Any]) -> None:
    experiments = truth["experiments"]
    rows = runner.run("experiment_results")["data"]
    shown = {(row["experiment"], row["variant"], row["unit"]): (row["exposed"], row["converted"],
                                                                row["conversion_rate"]) for row in rows}
    expected = {(experiment, variant, unit): (cell["exposed"], cell["converted"],
                                              pytest.approx(cell["converted"] / cell["exposed"]))
                for experiment, variants in experiments.items() for variant, units in variants.items()
                for unit, cell in units.items()}
    assert shown == expected and len(shown) == 4
    bars = runner.run("experiment_conversion_rate_by_variant")["data"]
    assert {(row["unit"], row["variant"]): row["conversion_rate"] for row in bars} == {
        (unit, variant): pytest.approx(cell["converted"] / cell["exposed"])
        for variant, units in experiments["pricing-cta"].items() for unit, cell in units.items()}


def test_experiment_days_of_first_exposure(runner: Runner, records: list[dict[str, Any]],
                                           truth: dict[str, Any]) -> None:
    cohorts = truth["experiment_cohorts_by_day"]["pricing-cta"]
    exposed = runner.run("experiment_exposures_per_day")["data"]
    assert {(day_of(row["__time"]), row["variant"]): row["exposed"] for row in exposed} == {
        (day, variant): cell["exposed"] for variant, units in cohorts.items()
        for day, cell in units["visitors"].items()}
    rates = runner.run("experiment_conversion_rate_per_day")["data"]
    assert {(day_of(row["__time"]), row["variant"]): row["conversion_rate"] for row in rates} == {
        (day, variant): pytest.approx(cell["converted"] / cell["exposed"]) for variant, units in cohorts.items()
        for day, cell in units["visitors"].items()}
    # Summed over the days, each visitor once: the experiment's totals.
    for variant, units in cohorts.items():
        for unit, days in units.items():
            assert sum(cell["exposed"] for cell in days.values()) == \
                truth["experiments"]["pricing-cta"][variant][unit]["exposed"]
    # A range keeps the visitors first exposed in it (a cohort), with their later conversions.
    first, last = days_before_end(10), days_before_end(3)
    week = runner.run("experiment_exposures_per_day", time_range(first, last))
    assert {(day_of(row["__time"]), row["variant"]) for row in week["data"]} == {
        (day, variant) for variant in cohorts for day in cohorts[variant]["visitors"]
        if f"{first:%Y-%m-%d}" <= day < f"{last:%Y-%m-%d}"}


def test_the_freshness_tiles_show_the_latest_event_their_charts_count(runner: Runner,
                                                                    records: list[dict[str, Any]]) -> None:
    """'Sessions up to' and 'Experiments up to': on Druid both datasets are materialised, and these tiles are
    how an analyst sees the lag; each must be the latest included event its dataset counts."""
    in_sessions = [r["timestamp"] for r in records if r["sessionId"]]
    exposures = [r["timestamp"] for r in records if r["experiment"] and r["sessionId"] and r["partyId"]]
    assert exposures
    for stem, latest in (("sessions_up_to", max(in_sessions)), ("experiments_up_to", max(exposures))):
        [row] = runner.run(stem)["data"]
        assert _epoch_ms(row[stem]) == latest, stem


def _epoch_ms(moment: int | str) -> int:
    """A result's time value as epoch ms: DuckDB answers a number, Druid ISO 8601 text."""
    if isinstance(moment, str):
        return int(datetime.fromisoformat(moment.replace("Z", "+00:00")).timestamp() * 1000)
    return int(moment)


# --- the live dashboard's charts --------------------------------------------------------------------------


def test_technology_clicks_over_time(runner: Runner, records: list[dict[str, Any]], truth: dict[str, Any]) -> None:
    saved, whole = both_ranges(runner, "technology_clicks_over_time")
    for result in (saved, whole):
        clicks = Counter((r["timestamp"] // 3_600_000 * 3_600_000, r["technology"])
                         for r in ground_truth.in_range(records, *bounds(result))
                         if r["eventType"] == "click" and r["technology"])
        assert {(int(row["__time"]), row["technology"]): row["clicks"] for row in result["data"]} == dict(clicks)
    totals: Counter = Counter()
    for row in whole["data"]:
        totals[row["technology"]] += row["clicks"]
    assert dict(totals) == truth["clicks_by_technology"]


def test_excluded_events_by_reason_equal_the_ground_truth(runner: Runner, written: list[dict[str, Any]],
                                                          truth: dict[str, Any]) -> None:
    saved, whole = both_ranges(runner, "traffic_excluded_events")
    for result in (saved, whole):
        reasons = Counter(exclusion_reason(r) for r in ground_truth.in_range(written, *bounds(result)))
        assert column(result, "reason", "excluded_events") == {name: reasons[name] for name in REASON_NAMES
                                                               if reasons[name]}, bounds(result)
    assert column(whole, "reason", "excluded_events") == truth["excluded_events"]
    assert all(truth["excluded_events"].values()), "the fixture holds events of every reason"
    per_day = runner.run("traffic_excluded_events_per_day", WHOLE_SPAN)
    shown = {(day_of(row["__time"]), row["reason"]): row["excluded_events"] for row in per_day["data"]}
    expected = Counter((ground_truth.utc_day(r["timestamp"]), exclusion_reason(r))
                       for r in ground_truth.in_range(written, *bounds(per_day)) if exclusion_reason(r))
    assert shown == dict(expected)


# --- the funnel dataset on hand-made events ---------------------------------------------------------------


def _handmade_events() -> list[dict[str, Any]]:
    """Funnel events a person can check by hand, in a realistic record shape."""
    end = datetime(2026, 1, 2, tzinfo=timezone.utc)
    template = generate_events(GeneratorSettings(seed=3, events=1, days=1, end=end))[0]
    t0 = int(datetime(2026, 1, 1, 12, tzinfo=timezone.utc).timestamp() * 1000)
    minute, hour = 60_000, 3_600_000
    plan = {
        "complete": [("pricingView", 0), ("signupStart", minute), ("signupComplete", 2 * minute),
                     ("purchase", 3 * minute)],
        "wrong-order": [("signupStart", 0), ("pricingView", minute), ("signupComplete", 2 * minute)],
        "too-late": [("pricingView", 0), ("signupStart", 25 * hour)],
        "second-attempt": [("pricingView", 0), ("pricingView", 30 * hour), ("signupStart", 30 * hour + minute),
                           ("signupComplete", 30 * hour + 2 * minute)],
        "same-moment": [("pricingView", 0), ("signupStart", 0)],
        "window-edge": [("pricingView", 0), ("signupStart", 24 * hour)],
        "purchase-only": [("purchase", 0)],
        "slow-signup": [("pricingView", 0), ("signupStart", 30 * minute), ("signupComplete", 90 * minute)],
    }
    events = []
    for party, steps in plan.items():
        for number, (event_type, offset) in enumerate(steps):
            events.append({**template, "detectedDuplicate": False, "detectedCorruption": False,
                           "userAgentType": "Browser", "partyId": party, "sessionId": f"{party}-{number}", "eventType": event_type,
                           "timestamp": t0 + offset, "clientTimestamp": t0 + offset, "firstInSession": True})
    return sorted(events, key=lambda e: e["timestamp"])


@pytest.fixture(scope="module")
def handmade_funnel(tmp_path_factory: pytest.TempPathFactory, client: SupersetClient) -> tuple[int, list]:
    """The repository's funnel dataset imported again onto a DuckDB file of hand-made events: its id and events."""
    folder = tmp_path_factory.mktemp("handmade-funnel")
    events = _handmade_events()
    write_events(folder / "events.duckdb", events)
    funnel = yaml.load((REPO / "datasets/datasets/Clickstream/funnel.yaml").read_text(), Loader=AssetLoader)
    suffix = uuid.uuid4().hex[:8]
    database = {"database_name": f"handmade_{suffix}", "uuid": str(uuid.uuid4()), "expose_in_sqllab": True,
                "extra": {"allows_virtual_table_explore": True},
                "sqlalchemy_uri": f"duckdb:///{folder / 'events.duckdb'}"}
    funnel.update({"uuid": str(uuid.uuid4()), "database_uuid": database["uuid"], "table_name": f"funnel_{suffix}"})
    root = folder / "tree"
    for relative, document in {"datasets/databases/handmade.yaml": database,
                               "datasets/datasets/handmade/funnel.yaml": funnel}.items():
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_text(dump_yaml(document))
    bundle = build_bundle(load_tree(root), "duckdb", {})
    client.import_assets(zip_bytes(bundle), bundle.passwords)
    return client.find_id("dataset", funnel["uuid"]), events


def _funnel_rows(client: SupersetClient, dataset_id: int, time_range: str = "No filter") -> list[dict[str, Any]]:
    params = {"query_mode": "raw", "all_columns": ["step_number", "step", "parties"],
              "order_by_cols": ['["step_number", true]'], "adhoc_filters": [], "time_range": time_range,
              "row_limit": 100}
    context = json.loads(query_context.build("table", params))
    context["datasource"] = {"id": dataset_id, "type": "table"}
    context["force"] = True
    result = client.request("POST", "/api/v1/chart/data", json=context).json()["result"][0]
    assert result["status"] == "success", result
    return result["data"]


def test_funnel_dataset_applies_order_and_window_to_handmade_events(
        client: SupersetClient, handmade_funnel: tuple[int, list]) -> None:
    dataset_id, events = handmade_funnel
    rows = _funnel_rows(client, dataset_id)
    assert [row["step"] for row in rows] == list(FUNNEL_STEPS)
    counted = [row["parties"] for row in rows]
    # By hand: first steps by everyone but purchase-only (7); in-order signupStart within 24 h: complete,
    # second-attempt, window-edge, slow-signup (4); then complete, second-attempt, slow-signup (3); purchase: 1.
    assert counted == [7, 4, 3, 1]
    assert counted == ground_truth.funnel_counts(events)
    # Only step events inside the time range count: the second attempt (30 h later) is cut off.
    day_one = _funnel_rows(client, dataset_id, "2026-01-01T00:00:00 : 2026-01-02T00:00:00")
    first_day = ground_truth.in_range(events, None, int(datetime(2026, 1, 2, tzinfo=timezone.utc).timestamp() * 1000))
    # window-edge (signup exactly 24 h later) and second-attempt lose their later steps.
    assert [row["parties"] for row in day_one] == ground_truth.funnel_counts(first_day) == [7, 2, 2, 1]


def test_funnel_steps_and_window_are_template_parameters(client: SupersetClient,
                                                         handmade_funnel: tuple[int, list]) -> None:
    dataset_id, events = handmade_funnel
    before = client.get_json(f"/api/v1/dataset/{dataset_id}")["result"]["template_params"]
    assert json.loads(before) == {"funnel_steps": ",".join(FUNNEL_STEPS), "window_minutes": 1440}
    steps = ("pricingView", "signupStart", "signupComplete")
    client.request("PUT", f"/api/v1/dataset/{dataset_id}",
                   json={"template_params": json.dumps({"funnel_steps": ",".join(steps), "window_minutes": 60})})
    try:
        rows = _funnel_rows(client, dataset_id)
        assert [row["step"] for row in rows] == list(steps)
        expected = ground_truth.funnel_counts(events, steps, window_ms=60 * 60_000)
        # slow-signup completes 90 minutes after its pricing view: out of a one-hour window.
        assert [row["parties"] for row in rows] == expected == [7, 3, 2]
    finally:
        client.request("PUT", f"/api/v1/dataset/{dataset_id}", json={"template_params": before})


# --- the tree: references are checked -----------------------------------------------------------------------


def test_dashboards_hold_every_chart_and_their_filters_target_real_columns() -> None:
    tree = load_tree(REPO)
    documents = {file.import_path: resolve(file.document, "duckdb", placeholder="x") for file in tree.files}
    datasets = {str(doc["uuid"]): doc for path, doc in documents.items() if path.startswith("datasets/")}
    charts = {str(doc["uuid"]) for path, doc in documents.items() if path.startswith("charts/")}
    on_boards: set[str] = set()
    for path, board in documents.items():
        if not path.startswith("dashboards/"):
            continue
        nodes = [node for node in board["position"].values() if isinstance(node, dict) and node.get("type") == "CHART"]
        ids = [node["meta"]["chartId"] for node in nodes]
        assert len(ids) == len(set(ids)), f"{path}: chart ids repeat"
        on_boards |= {node["meta"]["uuid"] for node in nodes}
        for native_filter in board["metadata"]["native_filter_configuration"]:
            assert set(native_filter["scope"]["excluded"]) <= set(ids), path
            for target in native_filter["targets"]:
                if "datasetUuid" in target:
                    dataset = datasets[target["datasetUuid"]]
                    assert target["column"]["name"] in {c["column_name"] for c in dataset["columns"]}, path
    assert charts == on_boards
    assert {Path(path).stem for path in documents if path.startswith("dashboards/")} == set(DASHBOARDS.values())


@pytest.mark.parametrize("breakage, message", [
    (lambda chart: chart["params"].update(metric="no_such_metric"), "metric 'no_such_metric' does not exist"),
    (lambda chart: chart["params"].update(groupby=["no_such_column"]), "column 'no_such_column' does not exist"),
])
def test_validation_fails_on_a_chart_naming_a_missing_metric_or_column(tmp_path: Path, breakage: Callable,
                                                                        message: str) -> None:
    copy_root = tmp_path / "tree"
    for folder in ("datasets", "dashboards"):
        shutil.copytree(REPO / folder, copy_root / folder)
    assert run_cli("validate", str(copy_root), check=False).returncode == 0
    path = copy_root / "dashboards/charts/traffic_visitors_by_device.yaml"
    chart = yaml.load(path.read_text(), Loader=AssetLoader)
    broken = copy.deepcopy(chart)
    breakage(broken)
    path.write_text(dump_yaml(broken))
    result = run_cli("validate", str(copy_root), check=False)
    assert result.returncode != 0
    assert message in result.stdout + result.stderr
    assert "traffic_visitors_by_device.yaml" in result.stdout + result.stderr
