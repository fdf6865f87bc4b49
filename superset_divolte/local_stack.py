"""A local Kafka + Druid cluster without Docker: JVMs started from Maven-resolved jars.

Used by the pipeline tests (a session fixture) and by ``superset-divolte stack local
up|down|status``. Everything runs on 127.0.0.1 inside one working folder that this
module owns (see local_stack_config for its layout); every PID is kept there, and
``down`` stops exactly those processes.

    stack = LocalStack(Path(".stack"))
    stack.up()                      # resolve jars (cached), start, wait until healthy
    provision_clickstream(stack)    # topic "divolte" + the Druid Kafka supervisor
    stack.status()
    stack.down()
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Sequence

from superset_divolte.local_stack_artifacts import (REPO_ROOT, StackArtifacts, default_cache_dir,
                                                    ensure_artifacts)
from superset_divolte.local_stack_config import (DRUID_SERVICES, PROFILES, SERVICES, TEST_PROFILE, DruidProfile,
                                                 StackLayout, StackPorts)
from superset_divolte.local_stack_process import (ProcessRecord, StackError, is_ours, kill, log_tail, poll_until,
                                                  rss_bytes, spawn)

if TYPE_CHECKING:
    from superset_divolte.druid.client import SupervisorStatus

Progress = Callable[[str], None]

DEFAULT_WORKDIR = REPO_ROOT / ".stack"
STATE_FILE = "stack.json"
START_TIMEOUT = 420.0  # seconds for all services to answer; 4 JVMs start at once on 2 cores
STOP_TIMEOUT = 45.0
STOP_ORDER = (list(DRUID_SERVICES), ["kafka", "zookeeper"])
"""Druid first, so its services leave ZooKeeper and Kafka cleanly."""


class LocalStack:
    """ZooKeeper, Kafka (KRaft) and Druid (coordinator+overlord, broker, historical, indexer) on 127.0.0.1."""

    def __init__(self, workdir: Path = DEFAULT_WORKDIR, ports: StackPorts | None = None,
                 cache: Path | None = None, profile: DruidProfile | None = None) -> None:
        """Use workdir; ports and profile default to those of a stack already there, else the defaults
        (Druid's and Kafka's ports, the small test profile)."""
        self.workdir = Path(workdir).resolve()
        self.cache = cache or default_cache_dir()
        self.ports = ports or self._saved_ports() or StackPorts()
        self.profile = profile or self._saved_profile() or TEST_PROFILE
        self.timings: dict[str, float] = {}
        self._artifacts: StackArtifacts | None = None
        self._children: dict[str, subprocess.Popen[bytes]] = {}

    # -- addresses ---------------------------------------------------------------------------

    @property
    def kafka_bootstrap(self) -> str:
        """bootstrap.servers of the Kafka broker."""
        return f"127.0.0.1:{self.ports.kafka}"

    @property
    def druid_router_or_broker_url(self) -> str:
        """Where Druid SQL is answered (no router here: the broker itself)."""
        return f"http://127.0.0.1:{self.ports.broker}"

    @property
    def overlord_url(self) -> str:
        """The Overlord API (the coordinator acts as overlord)."""
        return f"http://127.0.0.1:{self.ports.coordinator}"

    @property
    def coordinator_url(self) -> str:
        """The Coordinator API."""
        return f"http://127.0.0.1:{self.ports.coordinator}"

    @property
    def request_logs(self) -> Path:
        """Where the broker logs every query it receives: one file per day, a line per query."""
        return self.workdir / "var" / "request-logs"

    @property
    def marker(self) -> str:
        """The -D property value that tags our processes' command lines."""
        return str(self.workdir)

    # -- lifecycle ---------------------------------------------------------------------------

    def up(self, progress: Progress = print, timeout: float = START_TIMEOUT) -> dict[str, float]:
        """Resolve the jars (cached after the first run), start what is not running, wait until healthy.

        Returns timings in seconds: jars, start (until every service answered), total.
        """
        started = time.monotonic()
        self._artifacts = ensure_artifacts(self.cache, progress)
        self.timings["jars"] = time.monotonic() - started
        self._save_state()
        self._format_kafka(progress)
        begun = time.monotonic()
        launched: list[str] = []
        try:
            launched += self._start_group(["zookeeper", "kafka"], progress)
            self._wait_healthy(["zookeeper"], progress, timeout)
            launched += self._start_group(list(DRUID_SERVICES), progress)
            self._wait_healthy(["kafka", *DRUID_SERVICES], progress, timeout - (time.monotonic() - begun))
            self._wait_worker(progress, timeout)
        except StackError:
            # A failed start leaves running only what ran before it.
            self._stop_in_order(launched, progress)
            raise
        self.timings["start"] = time.monotonic() - begun
        self.timings["total"] = time.monotonic() - started
        rss = sum(s["rss_bytes"] for s in self.status()["services"].values())
        progress(f"stack up in {self.timings['total']:.0f} s (services {self.timings['start']:.0f} s); "
                 f"JVMs resident {rss / 2**20:.0f} MiB; Kafka {self.kafka_bootstrap}, "
                 f"Druid SQL {self.druid_router_or_broker_url}, overlord {self.overlord_url}")
        (self.workdir / "run" / "up-timings.json").write_text(json.dumps(self.timings, indent=2))
        return self.timings

    def down(self, progress: Progress = print) -> dict[str, str]:
        """Stop every process this working folder started (SIGTERM, then SIGKILL after a deadline)."""
        outcome = self._stop_in_order(SERVICES, progress)
        progress("stack down: " + ", ".join(f"{k} {v}" for k, v in outcome.items()))
        return outcome

    def status(self) -> dict:
        """What runs: per service pid, port, running, healthy, resident memory, log file."""
        services = {}
        for name in SERVICES:
            record = self._record(name)
            services[name] = {
                "running": record is not None, "pid": record.pid if record else None,
                "port": self.ports.of(name), "healthy": record is not None and self._healthy(name),
                "rss_bytes": rss_bytes(record.pid) if record else 0,
                "log": str(self.workdir / "log" / f"{name}.log"),
            }
        return {"workdir": str(self.workdir), "kafka_bootstrap": self.kafka_bootstrap,
                "druid_sql_url": self.druid_router_or_broker_url, "overlord_url": self.overlord_url,
                "services": services}

    # -- single services (the tests kill and restart them) ----------------------------------

    def kill_service(self, name: str) -> None:
        """SIGKILL one service, as a crash would; returns once the kernel has released its ports."""
        record = self._record(name)
        if record:
            kill(record, self._reap)
            self._wait_ports_released([name])

    def stop_service(self, name: str, progress: Progress = print) -> str:
        """Stop one service gracefully (SIGTERM, SIGKILL after the deadline)."""
        return self._stop_group([name], progress).get(name, "not running")

    def start_service(self, name: str, progress: Progress = print, timeout: float = START_TIMEOUT) -> None:
        """Start one service (if not running) and wait until it is healthy."""
        if self._artifacts is None:
            self._artifacts = ensure_artifacts(self.cache, progress)
        self._start_group([name], progress)
        self._wait_healthy([name], progress, timeout)
        if name == "indexer":
            self._wait_worker(progress, timeout)

    def restart_service(self, name: str, progress: Progress = print) -> None:
        """Stop (gracefully) and start one service again."""
        self.stop_service(name, progress)
        self.start_service(name, progress)

    # -- internals ---------------------------------------------------------------------------

    def _layout(self) -> StackLayout:
        assert self._artifacts is not None, "jars not resolved yet"
        return StackLayout(self.workdir, self.ports, self._artifacts, self.profile)

    def _record(self, name: str) -> ProcessRecord | None:
        """The record of a running service of ours, else None."""
        record = ProcessRecord.load(self.workdir / "run", name)
        return record if record and is_ours(record.pid, self.marker) else None

    def _exited(self, name: str) -> bool:
        """True when the service is not running; a child of ours is asked directly.

        Just after a spawn /proc/<pid>/cmdline can read empty for a moment while
        exec completes, so the marker alone would report a live child as gone.
        """
        child = self._children.get(name)
        if child is not None:
            return child.poll() is not None
        return self._record(name) is None

    def _reap(self) -> None:
        """Collect exited children started by this Python process (else they linger as zombies)."""
        for child in self._children.values():
            child.poll()

    def _saved_ports(self) -> StackPorts | None:
        state = self.workdir / STATE_FILE
        return StackPorts(**json.loads(state.read_text())["ports"]) if state.exists() else None

    def _saved_profile(self) -> DruidProfile | None:
        state = self.workdir / STATE_FILE
        return PROFILES.get(json.loads(state.read_text()).get("profile", "")) if state.exists() else None

    def _save_state(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        (self.workdir / STATE_FILE).write_text(json.dumps(
            {"ports": self.ports.to_json(), "cache": str(self.cache), "profile": self.profile.name,
             "druid": self._artifacts.versions.druid if self._artifacts else None,
             "kafka": self._artifacts.versions.kafka if self._artifacts else None}, indent=2))

    def _format_kafka(self, progress: Progress) -> None:
        """Format Kafka's KRaft log folder once."""
        command = self._layout().kafka_format_command()
        if command is None:
            return
        progress("kafka: formatting KRaft storage")
        done = subprocess.run(command, capture_output=True, text=True, cwd=self.workdir)
        if done.returncode != 0:
            raise StackError(f"kafka storage format failed (exit {done.returncode}):\n{done.stdout}\n{done.stderr}")

    def _start_group(self, names: list[str], progress: Progress) -> list[str]:
        """Start the named services that are not running yet, without waiting for them; returns those started."""
        layout = self._layout()
        missing = [name for name in names if not self._record(name)]
        for name in missing:
            for port in _ports_of(name, self.ports):
                if not _port_free(port):
                    raise StackError(f"{name}: port {port} on 127.0.0.1 is taken by another process; "
                                     f"stop it or give LocalStack other ports")
        started = []
        for name in missing:
            launch = layout.launch(name)
            child = spawn(launch.command, launch.log, self.workdir)
            self._children[name] = child
            ProcessRecord(name, child.pid, launch.port, str(launch.log), time.time(), self.marker).save(
                self.workdir / "run")
            started.append(name)
            progress(f"{name}: started pid {child.pid}, port {launch.port}, log {launch.log}")
        return started

    def _wait_healthy(self, names: list[str], progress: Progress, timeout: float) -> None:
        """Poll until every named service answers; fail fast, naming the log, if one exits."""
        pending = set(names)

        def check() -> bool:
            for name in sorted(pending):
                if self._exited(name):
                    log = self.workdir / "log" / f"{name}.log"
                    raise StackError(f"{name} (port {self.ports.of(name)}) exited during start-up; "
                                     f"read {log}. Its last lines:\n{log_tail(log)}")
                if self._healthy(name):
                    pending.discard(name)
                    progress(f"{name}: healthy on port {self.ports.of(name)}")
            return not pending

        begun = time.monotonic()
        try:
            poll_until("services", check, max(timeout, 1.0), interval=1.0, reap=self._reap, progress=lambda _: progress(
                f"waiting for {', '.join(sorted(pending))} ({time.monotonic() - begun:.0f} s)"))
        except TimeoutError:
            details = "; ".join(f"{n} on port {self.ports.of(n)} (read {self.workdir / 'log' / (n + '.log')})"
                                for n in sorted(pending))
            raise StackError(f"not healthy within {timeout:.0f} s: {details}") from None

    def _wait_worker(self, progress: Progress, timeout: float) -> None:
        """Wait until the overlord lists the indexer as a worker (else tasks stay pending)."""
        def check() -> bool:
            workers = _http_json(f"{self.overlord_url}/druid/indexer/v1/workers")
            return any(str(self.ports.indexer) in w.get("worker", {}).get("host", "") for w in workers or [])
        try:
            poll_until("the overlord to see the indexer", check, timeout, interval=1.0, progress=progress)
        except TimeoutError:
            raise StackError(f"the overlord ({self.overlord_url}) lists no indexer worker; read "
                             f"{self.workdir / 'log' / 'indexer.log'} and coordinator.log") from None

    def _stop_in_order(self, names: Sequence[str], progress: Progress) -> dict[str, str]:
        """Stop the named services, Druid's before Kafka and ZooKeeper."""
        outcome: dict[str, str] = {}
        for group in STOP_ORDER:
            outcome.update(self._stop_group([name for name in group if name in names], progress))
        return outcome

    def _stop_group(self, names: list[str], progress: Progress) -> dict[str, str]:
        """SIGTERM the running ones together, wait, SIGKILL what is left after the deadline."""
        records = [r for r in (self._record(n) for n in names) if r]
        for record in records:
            _signal(record.pid, signal.SIGTERM)
        try:
            poll_until(" and ".join(r.name for r in records) + " to stop",
                       lambda: not any(is_ours(r.pid, self.marker) for r in records),
                       STOP_TIMEOUT, progress=progress, reap=self._reap)
            self._wait_ports_released([r.name for r in records])
            return {r.name: "stopped" for r in records}
        except TimeoutError:
            outcome = {}
            for record in records:
                lingering = is_ours(record.pid, self.marker)
                if lingering:
                    kill(record, self._reap)
                outcome[record.name] = f"killed after {STOP_TIMEOUT:.0f} s" if lingering else "stopped"
            return outcome

    def _wait_ports_released(self, names: list[str]) -> None:
        """Until nothing listens on the named services' ports.

        A killed JVM's leader thread turns zombie (no longer ours) while its other threads still
        exit and hold the listening sockets for a moment; a start in that moment finds the port taken.
        """
        ports = [port for name in names for port in _ports_of(name, self.ports)]
        poll_until(f"ports {ports} to be released", lambda: all(_port_free(port) for port in ports), 15.0,
                   interval=0.1)

    def _healthy(self, name: str) -> bool:
        """One health probe of one service."""
        port = self.ports.of(name)
        if name == "zookeeper":
            return _four_letter(port, b"ruok") == b"imok"
        if name == "kafka":
            return _kafka_answers(self.kafka_bootstrap)
        if _http_text(f"http://127.0.0.1:{port}/status/health") != "true":
            return False
        extra = {"broker": "/druid/broker/v1/readiness", "historical": "/druid/historical/v1/readiness",
                 "coordinator": "/druid/indexer/v1/leader"}.get(name)
        return extra is None or _http_text(f"http://127.0.0.1:{port}{extra}") is not None


def provision_clickstream(stack: LocalStack, topic: str = "divolte", partitions: int = 1,
                          progress: Progress = print) -> str:
    """Create the Divolte topic and submit the clickstream supervisor; returns created/updated/unchanged."""
    from superset_divolte.druid.client import DruidClient, supervisor_spec
    from superset_divolte.kafka_sink import ensure_topic

    ensure_topic(stack.kafka_bootstrap, topic, partitions)
    client = DruidClient(overlord_url=stack.overlord_url, broker_url=stack.druid_router_or_broker_url)
    outcome = client.submit_supervisor(supervisor_spec(stack.kafka_bootstrap, topic=topic))
    progress(f"druid supervisor clickstream: {outcome}")
    return outcome


def stack_local_up(workdir: Path = DEFAULT_WORKDIR, progress: Progress = print,
                   profile: str | None = None) -> LocalStack:
    """`superset-divolte stack local up`: start (or keep) the stack in workdir and provision the clickstream.

    profile: "test" (small heaps, the default) or "bench" (sized for a 2-core, 24 GiB host); services
    already running keep the size they started with.
    """
    stack = LocalStack(workdir, profile=PROFILES[profile] if profile else None)
    stack.up(progress=progress)
    provision_clickstream(stack, progress=progress)
    progress(format_status(stack.status()))
    return stack


def stack_local_down(workdir: Path = DEFAULT_WORKDIR, progress: Progress = print) -> dict[str, str]:
    """`superset-divolte stack local down`: stop every process the stack in workdir started."""
    return LocalStack(workdir).down(progress=progress)


def stack_local_status(workdir: Path = DEFAULT_WORKDIR, progress: Progress = print) -> bool:
    """`superset-divolte stack local status`: print what runs and what Druid ingests; True if all is healthy."""
    from superset_divolte.druid.client import DruidError

    stack = LocalStack(workdir)
    status = stack.status()
    ingestion: list[SupervisorStatus] = []
    problem = None
    if status["services"]["coordinator"]["healthy"]:
        try:
            ingestion = ingestion_of(stack)
        except DruidError as error:
            problem = f"  supervisors unknown: {error}"
    progress(format_status(status, ingestion) + (f"\n{problem}" if problem else ""))
    return problem is None and all(s["healthy"] for s in status["services"].values())


def ingestion_of(stack: LocalStack) -> list[SupervisorStatus]:
    """What each Druid supervisor of the stack has ingested, and rejected."""
    from superset_divolte.druid.client import DruidClient

    client = DruidClient(overlord_url=stack.overlord_url, broker_url=stack.druid_router_or_broker_url)
    return [client.supervisor_status(supervisor_id) for supervisor_id in client.supervisor_ids()]


def format_status(status: dict, ingestion: Sequence[SupervisorStatus] = ()) -> str:
    """Human-readable lines for `stack local status`: services, then one line per supervisor."""
    lines = [f"local stack in {status['workdir']}"]
    for name, s in status["services"].items():
        state = ("healthy" if s["healthy"] else "starting/unhealthy") if s["running"] else "stopped"
        rss = f", {s['rss_bytes'] / 2**20:.0f} MiB" if s["running"] else ""
        lines.append(f"  {name:<12} {state:<18} port {s['port']:<6} pid {s['pid'] or '-'}{rss}  log {s['log']}")
    lines.append(f"  Kafka {status['kafka_bootstrap']}  Druid SQL {status['druid_sql_url']}  "
                 f"overlord {status['overlord_url']}")
    lines += [f"  supervisor {s.id}: {s.state}, processed {s.processed:,}, unparseable {s.unparseable:,}, "
              f"with errors {s.processed_with_error:,}, thrown away {s.thrown_away:,}, lag {s.lag}"
              for s in ingestion]
    return "\n".join(lines)


def _ports_of(name: str, ports: StackPorts) -> list[int]:
    """Every port a service listens on."""
    return {"kafka": [ports.kafka, ports.kafka_controller],
            "coordinator": [ports.coordinator, ports.derby]}.get(name, [ports.of(name)])


def _port_free(port: int) -> bool:
    """True if nothing listens on 127.0.0.1:port."""
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) != 0


def _signal(pid: int, sig: int) -> None:
    """Send sig to pid if it still exists."""
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        pass


def _four_letter(port: int, word: bytes) -> bytes | None:
    """ZooKeeper's four-letter-word answer, or None if it does not answer."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
            s.sendall(word)
            return s.recv(16)
    except OSError:
        return None


def _kafka_answers(bootstrap: str) -> bool:
    """True if the broker answers a metadata request."""
    host, port = bootstrap.rsplit(":", 1)
    if _port_free(int(port)):
        return False  # nothing listens yet: skip librdkafka's connection-refused logging
    from confluent_kafka.admin import AdminClient
    try:
        metadata = AdminClient({"bootstrap.servers": bootstrap, "log_level": 2}).list_topics(timeout=3)
        return bool(metadata.brokers)
    except Exception:  # KafkaException while the broker is still coming up
        return False


def _http_text(url: str) -> str | None:
    """Body of a 2xx answer, else None."""
    try:
        with urllib.request.urlopen(url, timeout=3) as answer:
            return answer.read().decode().strip()
    except (urllib.error.URLError, OSError):
        return None


def _http_json(url: str):
    text = _http_text(url)
    return json.loads(text) if text else None
