"""Freshness: from a click produced to Kafka until Superset's chart data API shows it.

Set-up, as a user would do it: the local stack, ``superset-divolte events generate --sink kafka://…`` (a day
of traffic as background data), ``superset-divolte provision --target druid --wait`` into a fresh Superset
home, and a real Superset 6.1.0 serving that home.

Each probe produces one click whose ``technology`` is unique (``probe-superset-007-…``) through one
long-lived producer, as Divolte keeps one (Divolte's record format and the project's producer settings:
idempotent, acks=all, linger 20 ms), and right away POSTs the Technology popularity donut's
saved query context to ``/api/v1/chart/data`` with ``force: true`` (Superset's cache bypassed) again and
again until a row for that technology comes back. Freshness is the time from just before producing to
the end of that response, so its resolution is one chart-data request (reported); the time until the
broker confirmed the record is reported beside it. The same probes are
then run against Druid SQL on the broker directly, which splits the time into Kafka -> Druid and Superset.

    .venv/bin/python benchmarks/freshness.py [--probes 30] [--workdir .stack]

Results: benchmarks/results/freshness.json and freshness.md.
"""

from __future__ import annotations

import argparse
import json
import random
import secrets
import tempfile
import threading
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

from confluent_kafka import Producer

from common import (REPO, cli, command_line, load_average, local_stack, machine, machine_markdown, median, now_iso,
                    percentile, say, write_results)
from superset_divolte.assets import load_tree
from superset_divolte.druid.client import DruidClient
from superset_divolte.events import live_events
from superset_divolte.kafka_sink import encode_event, load_schema, producer_config
from superset_divolte.superset_app import SupersetHome
from superset_divolte.superset_client import SupersetClient
from superset_server import home_environment, initialize_home, running_superset

TOPIC, DATASOURCE = "divolte", "clickstream"
DONUT_FILE = "charts/technology_popularity.yaml"
PASSWORD = "freshness-benchmark-admin-1"
PROBE_TIMEOUT = 60.0
POLL_PAUSE = 0.05
DONUT_ROWS = 100
"""The donut's query keeps the 100 most clicked technologies: every probe must fit in, after the real ones."""


def probe_event(rng: random.Random, technology: str) -> dict[str, Any]:
    """One click of a fresh visitor, now, on a technology nobody clicked before."""
    click = live_events(rng, datetime.now(timezone.utc), 1)[-1]
    assert click["eventType"] == "click"
    return {**click, "technology": technology}


class ProbeProducer:
    """One long-lived producer, as Divolte keeps one: the project's record format and producer settings."""

    def __init__(self, bootstrap: str) -> None:
        self.producer = Producer(producer_config(bootstrap))
        self.schema = load_schema()
        self._stop = threading.Event()
        # Delivery reports are served here, so their time is when they arrive, not when the prober next looks.
        self._poller = threading.Thread(target=self._serve, daemon=True)
        self._poller.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            self.producer.poll(0.005)

    def close(self) -> None:
        """Stop serving delivery reports; flush what is left."""
        self._stop.set()
        self._poller.join(timeout=10)
        self.producer.flush(30)
        del self.producer  # librdkafka's handle goes now, before the stack stops under it

    def send(self, event: dict[str, Any]) -> dict[str, Any]:
        """Produce without waiting; the returned dict gets ``at`` (perf_counter) and ``error`` on delivery."""
        delivery: dict[str, Any] = {}

        def report(error: Any, _: Any) -> None:
            delivery.update(at=time.perf_counter(), error=error)
        self.producer.produce(TOPIC, value=encode_event(event, self.schema), key=event["partyId"].encode(),
                              timestamp=int(event["timestamp"]), on_delivery=report)
        return delivery

    def confirm(self, delivery: dict[str, Any], timeout: float = 30.0) -> None:
        """Wait for the delivery report; raise if the broker did not take the record."""
        deadline = time.monotonic() + timeout
        while "at" not in delivery and time.monotonic() < deadline:
            time.sleep(0.005)
        if delivery.get("error") is not None or "at" not in delivery:
            raise RuntimeError(f"probe not delivered: {delivery}")


def measure(producer: ProbeProducer, technology: str, rng: random.Random,
            visible: Callable[[str], tuple[bool, float]]) -> dict[str, Any]:
    """Produce one probe click and poll ``visible`` right away until it reports it. Times in seconds."""
    event = probe_event(rng, technology)
    begun = time.perf_counter()
    delivery = producer.send(event)
    polls, request_times = 0, []
    while True:
        seen, took = visible(technology)
        polls += 1
        request_times.append(took)
        elapsed = time.perf_counter() - begun
        if seen:
            producer.confirm(delivery)
            return {"technology": technology, "freshness_s": round(elapsed, 4),
                    "kafka_ack_s": round(delivery["at"] - begun, 4), "polls": polls,
                    "median_request_s": round(median(request_times), 4)}
        if elapsed > PROBE_TIMEOUT:
            raise TimeoutError(f"{technology} not visible after {PROBE_TIMEOUT:.0f} s ({polls} polls)")
        time.sleep(POLL_PAUSE)


def superset_probe(client: SupersetClient, chart_id: int) -> Callable[[str], tuple[bool, float]]:
    """Whether the donut's chart data (cache bypassed) has a row for a technology, and how long that took."""
    context = json.loads(client.chart(chart_id)["query_context"])
    context["force"] = True

    def visible(technology: str) -> tuple[bool, float]:
        begun = time.perf_counter()
        body = client.request("POST", "/api/v1/chart/data", json=context).json()
        took = time.perf_counter() - begun
        result = body["result"][0]
        if result.get("status") != "success":
            raise RuntimeError(f"chart data failed: {result}")
        return any(row.get("technology") == technology for row in result["data"]), took
    return visible


def druid_probe(druid: DruidClient) -> Callable[[str], tuple[bool, float]]:
    """Whether Druid SQL on the broker counts a click for a technology, and how long that took."""
    def visible(technology: str) -> tuple[bool, float]:
        begun = time.perf_counter()
        rows = druid.sql(f'SELECT COUNT(*) AS "n" FROM "{DATASOURCE}" WHERE "technology" = ?', [technology])
        return bool(rows and rows[0]["n"]), time.perf_counter() - begun
    return visible


def run_series(name: str, producer: ProbeProducer, visible: Callable[[str], tuple[bool, float]], probes: int,
               warmup: int, token: str, rng: random.Random) -> list[dict[str, Any]]:
    """Warm-up probes (dropped), then ``probes`` measured ones, a random 0.5-1.5 s apart."""
    samples = []
    for index in range(warmup + probes):
        sample = measure(producer, f"probe-{name}-{index:03d}-{token}", rng, visible)
        if index >= warmup:
            samples.append(sample)
            say(f"{name} probe {index - warmup + 1}/{probes}: {sample['freshness_s']:.2f} s "
                f"(Kafka ack {sample['kafka_ack_s']:.3f} s, {sample['polls']} polls)")
        time.sleep(rng.uniform(0.5, 1.5))  # pacing only: probes land at random points of Druid's poll loop
    return samples


def summary(samples: list[dict[str, Any]]) -> dict[str, Any]:
    """p50, p95, min, max of the freshness; medians of the Kafka ack and of one request."""
    values = [s["freshness_s"] for s in samples]
    return {"probes": len(values), "p50_s": percentile(values, 50), "p95_s": percentile(values, 95),
            "min_s": min(values), "max_s": max(values), "mean_s": round(sum(values) / len(values), 4),
            "shown_by_first_poll": sum(s["polls"] == 1 for s in samples),
            "median_kafka_ack_s": median([s["kafka_ack_s"] for s in samples]),
            "median_request_s": median([s["median_request_s"] for s in samples])}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--probes", type=int, default=30, help="measured probes per series (at least 20)")
    parser.add_argument("--warmup", type=int, default=3, help="probes run first and dropped")
    parser.add_argument("--background-events", type=int, default=20_000, help="events generated before probing")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workdir", type=Path, help="use the stack running in this folder (left running)")
    args = parser.parse_args()
    if args.probes < 20:
        parser.error("--probes must be at least 20")
    started, load_before, info = now_iso(), load_average(), machine()
    rng, token = random.Random(args.seed), secrets.token_hex(3)
    donut_uuid = str(next(f.document["uuid"] for f in load_tree(REPO).files if f.import_path == DONUT_FILE))
    with tempfile.TemporaryDirectory(prefix="superset-divolte-freshness-") as scratch, \
            local_stack(args.workdir) as (stack, stack_facts):
        folder = Path(scratch)
        home = SupersetHome(folder / "home")
        environment = home_environment(home)
        environment.update(SUPERSET_DIVOLTE_DRUID_HOST="127.0.0.1",
                           SUPERSET_DIVOLTE_DRUID_PORT=str(stack.ports.broker))
        druid = DruidClient(stack.overlord_url, stack.druid_router_or_broker_url)
        say("initializing a Superset home")
        initialize_home(home, PASSWORD, environment, folder / "superset.log")
        before = druid.count(DATASOURCE)
        say(f"generating {args.background_events:,} background events into Kafka")
        cli("events", "generate", "--sink", f"kafka://{stack.kafka_bootstrap}/{TOPIC}", "--events",
            str(args.background_events), "--days", "1", "--seed", str(args.seed), env=environment)
        say("provisioning Druid's supervisor and Superset's assets (provision --target druid --wait)")
        cli("provision", "--target", "druid", "--assets", str(REPO), "--home", str(home.path),
            "--druid-overlord-url", stack.overlord_url, "--druid-broker-url", stack.druid_router_or_broker_url,
            "--kafka-bootstrap", stack.kafka_bootstrap, "--wait", env=environment)
        druid.wait_for_count(DATASOURCE, before + args.background_events, 300, progress=say)
        known = druid.sql(f'SELECT COUNT(DISTINCT "technology") AS "n" FROM "{DATASOURCE}"',
                          context={"useApproximateCountDistinct": False})[0]["n"]
        if known + args.warmup + args.probes > DONUT_ROWS:
            raise SystemExit(f"{known} technologies are known already (earlier probes): with "
                             f"{args.warmup + args.probes} more, the donut's top {DONUT_ROWS} would drop probes; "
                             "use a fresh stack (no --workdir) or fewer probes")
        say("starting Superset")
        with running_superset(folder, PASSWORD) as server, \
                SupersetClient(server.base_url, server.username, server.password) as client:
            client.login()
            donut = client.find_id("chart", donut_uuid)
            producer = ProbeProducer(stack.kafka_bootstrap)
            try:
                through_superset = run_series("superset", producer, superset_probe(client, donut), args.probes,
                                              args.warmup, token, rng)
                through_druid = run_series("druid", producer, druid_probe(druid), args.probes, args.warmup, token,
                                           rng)
            finally:
                producer.close()
    finished, load_after = now_iso(), load_average()
    result = {
        "benchmark": "freshness", "command": command_line(), "started_at": started, "finished_at": finished,
        "machine": info, "load_average": {"before": load_before, "after": load_after}, "stack": stack_facts,
        "method": {"measured": "time from just before producing one click to Kafka until the end of the first "
                               "response that shows it",
                   "superset": "POST /api/v1/chart/data with the Technology popularity chart's saved query "
                               "context, force=true (cache bypassed), Superset 6.1.0 behind Werkzeug's threaded "
                               "server in a child process",
                   "druid": "Druid SQL COUNT(*) on the broker for the probe's technology",
                   "percentiles": "nearest rank", "warmup_probes_dropped": args.warmup,
                   "background_events": args.background_events, "poll_pause_s": POLL_PAUSE},
        "superset_chart_data": summary(through_superset), "druid_sql": summary(through_druid),
        "samples": {"superset_chart_data": through_superset, "druid_sql": through_druid},
    }
    paths = write_results("freshness", result, markdown(result))
    say(f"wrote {paths[0]} and {paths[1]}")
    print(markdown(result))


def markdown(result: dict[str, Any]) -> str:
    """The short human summary."""
    s, d = result["superset_chart_data"], result["druid_sql"]
    return "\n".join([
        "# Freshness: Kafka to Superset's chart data API",
        "",
        f"`{result['command']}`",
        "",
        "| path | probes | p50 | p95 | min | max | median Kafka ack | median request | shown by the first poll |",
        "|---|---|---|---|---|---|---|---|---|",
        *(f"| {label} | {x['probes']} | {x['p50_s']:.2f} s | {x['p95_s']:.2f} s | {x['min_s']:.2f} s "
          f"| {x['max_s']:.2f} s | {x['median_kafka_ack_s'] * 1000:.0f} ms | {x['median_request_s'] * 1000:.0f} ms "
          f"| {x['shown_by_first_poll']} of {x['probes']} |"
          for label, x in (("Kafka -> Druid -> Superset chart data (force)", s), ("Kafka -> Druid SQL (broker)", d))),
        "",
        "Each probe produces one click with a unique technology (confirmed delivery, acks=all) and polls until "
        "it shows; the time runs from just before producing to the end of the first response showing it, so its "
        "resolution is one request: where the first poll already shows the click, the click was queryable sooner "
        "than the figure says. Percentiles are nearest-rank; "
        f"{result['method']['warmup_probes_dropped']} warm-up probes per path were dropped.",
        "",
        machine_markdown(result["machine"], result["stack"], result["started_at"], result["finished_at"],
                         result["load_average"]),
    ])


if __name__ == "__main__":
    main()
