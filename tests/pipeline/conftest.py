"""The local Kafka + Druid stack, started once per test session in a temporary folder and always stopped."""

from __future__ import annotations

import hashlib
import re
import shutil
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest

from superset_divolte.druid.client import DruidClient, supervisor_spec
from superset_divolte.events import GeneratorSettings, generate_events
from superset_divolte.kafka_sink import ensure_topic
from superset_divolte.local_stack import LocalStack
from superset_divolte.local_stack_config import StackPorts

REPO = Path(__file__).resolve().parents[2]
LOGS = REPO / "test-artifacts" / "pipeline-logs"
EVENTS_END = datetime(2026, 11, 20, tzinfo=timezone.utc)


@pytest.fixture(scope="session")
def say(request: pytest.FixtureRequest) -> Callable[[str], None]:
    """Print a progress line past pytest's output capture (starting the stack takes a while)."""
    capture = request.config.pluginmanager.getplugin("capturemanager")

    def emit(message: str) -> None:
        with capture.global_and_fixture_disabled():
            print(f"[pipeline] {message}", file=sys.stderr, flush=True)

    return emit


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory, say: Callable[[str], None]) -> Iterator[LocalStack]:
    """ZooKeeper, Kafka and Druid on free ports of 127.0.0.1; stopped and its logs kept after the session."""
    workdir = tmp_path_factory.mktemp("stack")
    local = LocalStack(workdir, ports=StackPorts.free())
    say(f"starting the local stack in {workdir}")
    try:
        local.up(progress=say)
        yield local
    finally:
        services = local.status()["services"]
        say("resident memory at the end: " + ", ".join(
            f"{n} {s['rss_bytes'] / 2**20:.0f} MiB" for n, s in services.items())
            + f"; all JVMs {sum(s['rss_bytes'] for s in services.values()) / 2**20:.0f} MiB")
        local.down(progress=say)
        shutil.rmtree(LOGS, ignore_errors=True)
        if (workdir / "log").exists():
            shutil.copytree(workdir / "log", LOGS)
            say(f"service logs copied to {LOGS}")


@pytest.fixture(scope="session")
def druid(stack: LocalStack) -> DruidClient:
    """Client of the stack's overlord and broker."""
    return DruidClient(overlord_url=stack.overlord_url, broker_url=stack.druid_router_or_broker_url)


@pytest.fixture
def stream(request: pytest.FixtureRequest, stack: LocalStack, druid: DruidClient) -> Iterator[str]:
    """A topic and a datasource of the same name, ingested by the repo's supervisor spec; terminated after."""
    name = re.sub(r"[^a-z0-9]+", "_", request.node.name.lower()).strip("_")
    if len(name) > 60:
        # Cut to 60 characters, kept apart from a sibling that differs only after them (a parameter).
        name = f"{name[:51]}_{hashlib.sha1(name.encode()).hexdigest()[:8]}"
    ensure_topic(stack.kafka_bootstrap, name)
    outcome = druid.submit_supervisor(supervisor_spec(stack.kafka_bootstrap, topic=name, datasource=name))
    assert outcome == "created"
    yield name
    druid.terminate_supervisor(name)


@pytest.fixture(scope="session")
def make_events() -> Callable[[int, int], list[dict[str, Any]]]:
    """make_events(count, seed): realistic clickstream records from the project's generator, fixed in time."""
    def make(count: int, seed: int) -> list[dict[str, Any]]:
        return generate_events(GeneratorSettings(seed=seed, events=count, days=3, end=EVENTS_END))
    return make
