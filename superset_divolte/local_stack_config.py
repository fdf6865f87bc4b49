"""Configuration files and command lines of the local stack's services.

Every service is a JVM on 127.0.0.1 with a small heap; all state lives under the
stack's working folder::

    conf/<service>/...      generated configuration (rewritten on every start)
    var/<service>/...       data: ZooKeeper, Kafka log, Derby, segments, task dirs
    log/<service>.log       the process's stdout and stderr
    run/<service>.json      pid, port and command of the running process
    tmp/                    java.io.tmpdir

Topology: ZooKeeper (Druid's discovery needs it), Kafka in KRaft mode (its own
controller, no ZooKeeper), and Druid as coordinator-acting-as-overlord (with the
Derby metadata store inside it), broker, historical and indexer (tasks run as threads
in one JVM, unlike a middle manager's forked peons).
"""

from __future__ import annotations

import base64
import json
import socket
import uuid
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from superset_divolte.local_stack_artifacts import AVRO_EXTENSION, DRUID_EXTENSIONS, StackArtifacts
from superset_divolte.local_stack_process import MARKER_PROPERTY

DRUID_SERVICES = ("coordinator", "broker", "historical", "indexer")
SERVICES = ("zookeeper", "kafka", *DRUID_SERVICES)

# Strong-encapsulation exceptions Druid needs on Java 11+ (Druid's docs, "Java runtime").
DRUID_JAVA_OPENS = (
    "--add-exports=java.base/jdk.internal.misc=ALL-UNNAMED",
    "--add-exports=java.base/jdk.internal.ref=ALL-UNNAMED",
    "--add-opens=java.base/java.nio=ALL-UNNAMED",
    "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
    "--add-opens=java.base/jdk.internal.ref=ALL-UNNAMED",
    "--add-opens=java.base/java.io=ALL-UNNAMED",
    "--add-opens=java.base/java.lang=ALL-UNNAMED",
    "--add-opens=jdk.management/com.sun.management.internal=ALL-UNNAMED",
)
@dataclass(frozen=True)
class DruidProfile:
    """How big the JVMs are: heap / direct memory per service and Druid's processing settings."""

    name: str
    memory: dict[str, tuple[str, str | None]]
    processing: dict[str, dict[str, str]]
    """Processing properties of the broker, historical and indexer."""
    broker_connections: int

    def describe(self) -> dict:
        """The configuration as plain data (recorded beside benchmark figures)."""
        return {"name": self.name, "memory": {k: {"heap": h, "direct": d} for k, (h, d) in self.memory.items()},
                "processing": self.processing, "broker_connections": self.broker_connections}


def _processing(buffer: str, threads: int, merge_buffers: int) -> dict[str, str]:
    return {"druid.processing.buffer.sizeBytes": buffer, "druid.processing.numThreads": str(threads),
            "druid.processing.numMergeBuffers": str(merge_buffers),
            # Group-bys that outgrow a buffer spill to druid.processing.tmpDir instead of failing with
            # "Not enough merge buffer memory".
            "druid.query.groupBy.maxOnDiskStorage": "1GiB"}


# For tests: one processing thread and two merge buffers of 16 MiB, (1 + 2 + 1) x 16 MiB = 64 MiB direct at least.
_SMALL = _processing("16MiB", 1, 2)
TEST_PROFILE = DruidProfile(
    "test",
    memory={"zookeeper": ("64m", None), "kafka": ("256m", None), "coordinator": ("256m", None),
            "broker": ("256m", "128m"), "historical": ("256m", "128m"), "indexer": ("512m", "128m")},
    processing={"broker": _SMALL, "historical": _SMALL, "indexer": _SMALL},
    broker_connections=5)
# As Druid's own single-server profiles size a host of 2 cores and 24 GiB (between nano- and
# micro-quickstart): numThreads = cores - 1, 500 MiB buffers on broker and historical, direct memory
# (numThreads + numMergeBuffers + 1) x buffer, heaps of a few GiB.
BENCH_PROFILE = DruidProfile(
    "bench",
    memory={"zookeeper": ("128m", None), "kafka": ("1g", None), "coordinator": ("1g", None),
            "broker": ("4g", "2500m"), "historical": ("4g", "2500m"), "indexer": ("2g", "1g")},
    processing={"broker": _processing("500MiB", 1, 2), "historical": _processing("500MiB", 1, 2),
                "indexer": _processing("100MiB", 1, 2)},
    broker_connections=20)
PROFILES = {profile.name: profile for profile in (TEST_PROFILE, BENCH_PROFILE)}


@dataclass(frozen=True)
class StackPorts:
    """TCP ports on 127.0.0.1, one per listener."""

    zookeeper: int = 2181
    kafka: int = 9092
    kafka_controller: int = 9093
    derby: int = 1527
    coordinator: int = 8081
    broker: int = 8082
    historical: int = 8083
    indexer: int = 8091

    @classmethod
    def free(cls) -> "StackPorts":
        """Ports the kernel says are free right now (for tests, beside a running stack)."""
        sockets = [socket.socket() for _ in fields(cls)]
        try:
            for s in sockets:
                s.bind(("127.0.0.1", 0))
            return cls(*(s.getsockname()[1] for s in sockets))
        finally:
            for s in sockets:
                s.close()

    def to_json(self) -> dict[str, int]:
        """Plain dict for the state file."""
        return asdict(self)

    def of(self, service: str) -> int:
        """The port a service is checked on."""
        return int(getattr(self, service))


@dataclass(frozen=True)
class ServiceLaunch:
    """How to start one service."""

    name: str
    port: int
    command: list[str]
    log: Path


class StackLayout:
    """Paths and generated files of one working folder."""

    def __init__(self, workdir: Path, ports: StackPorts, artifacts: StackArtifacts,
                 profile: DruidProfile = TEST_PROFILE) -> None:
        self.workdir = workdir.resolve()
        self.ports = ports
        self.artifacts = artifacts
        self.profile = profile

    def conf(self, service: str) -> Path:
        """Generated configuration of a service."""
        return self.workdir / "conf" / service

    def var(self, *parts: str) -> Path:
        """Data folder."""
        return self.workdir.joinpath("var", *parts)

    def log(self, service: str) -> Path:
        """stdout + stderr of a service."""
        return self.workdir / "log" / f"{service}.log"

    def launch(self, service: str) -> ServiceLaunch:
        """Write the service's configuration and return its command line."""
        for folder in ("log", "run", "tmp"):
            (self.workdir / folder).mkdir(parents=True, exist_ok=True)
        builders = {"zookeeper": self._zookeeper, "kafka": self._kafka}
        command = builders.get(service, self._druid)(service)
        return ServiceLaunch(service, self.ports.of(service), command, self.log(service))

    def kafka_format_command(self) -> list[str] | None:
        """The one-time KRaft storage format, or None when the log folder is formatted already."""
        if (self.var("kafka") / "meta.properties").exists():
            return None
        self._kafka("kafka")
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        # One id in 64 starts with "-", which the tool's argument parser would take for an option.
        return [*self._java("kafka", self.artifacts.kafka_libs / "*"), "kafka.tools.StorageTool", "format",
                "--config", str(self.conf("kafka") / "server.properties"), f"--cluster-id={cluster_id}",
                "--ignore-formatted"]

    def _java(self, service: str, *classpath: Path) -> list[str]:
        """java with the heap, GC and marker options shared by every service."""
        heap, direct = self.profile.memory[service]
        options = [str(self.artifacts.java), "-server", f"-Xmx{heap}", "-Xms32m",
                   # Serial GC: smallest footprint; these heaps are tiny and there are 2 cores.
                   "-XX:+UseSerialGC", "-XX:+ExitOnOutOfMemoryError",
                   "-Duser.timezone=UTC", "-Dfile.encoding=UTF-8", f"-Djava.io.tmpdir={self.workdir / 'tmp'}",
                   # Lets down/status recognise our processes (a PID alone can be reused).
                   f"-D{MARKER_PROPERTY}={self.workdir}"]
        if direct:
            options.append(f"-XX:MaxDirectMemorySize={direct}")
        return [*options, "-cp", ":".join(str(p) for p in classpath)]

    def _zookeeper(self, service: str) -> list[str]:
        """ZooKeeper standalone from the jars in Druid's class path."""
        conf = self.conf(service)
        conf.mkdir(parents=True, exist_ok=True)
        self.var(service).mkdir(parents=True, exist_ok=True)
        _write_properties(conf / "zoo.cfg", {
            "tickTime": "2000", "dataDir": str(self.var(service)), "clientPort": str(self.ports.zookeeper),
            "clientPortAddress": "127.0.0.1", "maxClientCnxns": "0", "admin.enableServer": "false",
            "4lw.commands.whitelist": "ruok,srvr", "autopurge.purgeInterval": "1"})
        _write_log4j2(conf / "log4j2.xml")
        return [*self._java(service, conf, self.artifacts.druid_lib / "*"),
                f"-Dlog4j.configurationFile={conf / 'log4j2.xml'}",
                "org.apache.zookeeper.server.quorum.QuorumPeerMain", str(conf / "zoo.cfg")]

    def _kafka(self, service: str) -> list[str]:
        """A single Kafka node that is both broker and KRaft controller."""
        conf = self.conf(service)
        conf.mkdir(parents=True, exist_ok=True)
        p = self.ports
        _write_properties(conf / "server.properties", {
            "process.roles": "broker,controller", "node.id": "1",
            "controller.quorum.voters": f"1@127.0.0.1:{p.kafka_controller}",
            "listeners": f"PLAINTEXT://127.0.0.1:{p.kafka},CONTROLLER://127.0.0.1:{p.kafka_controller}",
            "advertised.listeners": f"PLAINTEXT://127.0.0.1:{p.kafka}",
            "controller.listener.names": "CONTROLLER", "inter.broker.listener.name": "PLAINTEXT",
            "listener.security.protocol.map": "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
            "log.dirs": str(self.var(service)), "num.partitions": "1",
            "offsets.topic.replication.factor": "1", "offsets.topic.num.partitions": "1",
            "transaction.state.log.replication.factor": "1", "transaction.state.log.min.isr": "1",
            "group.initial.rebalance.delay.ms": "0",
            # Divolte stamps each record with its event time, and backfilled or generated traffic is days
            # old: time-based retention would delete it from under Druid (OffsetOutOfRange). Keep by size.
            "log.retention.ms": "-1", "log.retention.bytes": str(2 * 2**30)})
        (conf / "log4j.properties").write_text(
            "log4j.rootLogger=INFO, stdout\n"
            "log4j.appender.stdout=org.apache.log4j.ConsoleAppender\n"
            "log4j.appender.stdout.layout=org.apache.log4j.PatternLayout\n"
            "log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n\n"
            "log4j.logger.kafka.request.logger=WARN\nlog4j.logger.state.change.logger=WARN\n")
        return [*self._java(service, self.artifacts.kafka_libs / "*"),
                f"-Dlog4j.configuration={(conf / 'log4j.properties').as_uri()}",
                "kafka.Kafka", str(conf / "server.properties")]

    def _druid(self, service: str) -> list[str]:
        """One Druid service: org.apache.druid.cli.Main server <service>."""
        common = self.conf("druid-common")
        common.mkdir(parents=True, exist_ok=True)
        _write_properties(common / "common.runtime.properties", self._druid_common())
        _write_log4j2(common / "log4j2.xml")
        conf = self.conf(service)
        conf.mkdir(parents=True, exist_ok=True)
        _write_properties(conf / "runtime.properties", self._druid_service(service))
        return [*self._java(service, common, conf, self.artifacts.druid_lib / "*"), *DRUID_JAVA_OPENS,
                "-Djava.util.logging.manager=org.apache.logging.log4j.jul.LogManager",
                f"-Dlog4j.configurationFile={common / 'log4j2.xml'}",
                f"-Dderby.stream.error.file={self.workdir / 'log' / 'derby.log'}",
                "org.apache.druid.cli.Main", "server", service]

    def _druid_common(self) -> dict[str, str]:
        """common.runtime.properties: discovery, metadata store, deep storage, extensions."""
        p = self.ports
        return {
            "druid.extensions.directory": str(self.artifacts.druid_extensions),
            "druid.extensions.loadList": json.dumps([*DRUID_EXTENSIONS, AVRO_EXTENSION]),
            "druid.extensions.hadoopDependenciesDir": str(self.var("hadoop-dependencies")),
            "druid.host": "127.0.0.1",
            # Jetty binds to druid.host alone: nothing of the stack listens beyond loopback.
            "druid.bindOnHost": "true",
            "druid.startup.logging.logProperties": "true",
            "druid.zk.service.host": f"127.0.0.1:{p.zookeeper}",
            "druid.zk.paths.base": "/druid",
            # A killed service's ephemeral znodes go away after this; the default 30 s slows restarts.
            "druid.zk.service.sessionTimeoutMs": "10000",
            "druid.metadata.storage.type": "derby",
            "druid.metadata.storage.connector.connectURI":
                f"jdbc:derby://127.0.0.1:{p.derby}/{self.var('metadata', 'druid.db')};create=true",
            "druid.metadata.storage.connector.host": "127.0.0.1",
            "druid.metadata.storage.connector.port": str(p.derby),
            "druid.storage.type": "local",
            "druid.storage.storageDirectory": str(self.var("segments")),
            "druid.indexer.logs.type": "file",
            "druid.indexer.logs.directory": str(self.var("indexing-logs")),
            "druid.selectors.indexing.serviceName": "druid/overlord",
            "druid.selectors.coordinator.serviceName": "druid/coordinator",
            "druid.monitoring.monitors": "[]",
            "druid.emitter": "noop",
            "druid.indexing.doubleStorage": "double",
            "druid.sql.enable": "true",
            "druid.lookup.enableLookupSyncOnStartup": "false",
            "druid.expressions.useStrictBooleans": "true",
            "druid.server.hiddenProperties": '["password","key","token","pwd"]',
        }

    def _druid_service(self, service: str) -> dict[str, str]:
        """runtime.properties of one Druid service."""
        props = {"druid.service": f"druid/{service}", "druid.plaintextPort": str(self.ports.of(service)),
                 "druid.server.http.numThreads": "12",
                 # The overlord's long-polls otherwise hold the indexer's shutdown for 30 s.
                 "druid.server.http.gracefulShutdownTimeout": "PT5S"}
        if service == "coordinator":
            props.update({
                "druid.coordinator.startDelay": "PT5S", "druid.coordinator.period": "PT5S",
                "druid.manager.segments.pollDuration": "PT5S",
                "druid.coordinator.asOverlord.enabled": "true",
                "druid.coordinator.asOverlord.overlordService": "druid/overlord",
                "druid.indexer.queue.startDelay": "PT5S", "druid.indexer.storage.type": "metadata",
                # Auto-compaction is a duty of this period (default 30 min): merge hand-offs within a minute.
                "druid.coordinator.period.indexingPeriod": "PT60S",
                # Fail the tasks of a vanished indexer after 30 s instead of 15 min.
                "druid.indexer.runner.taskCleanupTimeout": "PT30S"})
        if service == "broker":
            props.update({**self.profile.processing[service],
                          "druid.broker.http.numConnections": str(self.profile.broker_connections),
                          "druid.broker.cache.useCache": "false", "druid.broker.cache.populateCache": "false",
                          # One line per SQL and native query in var/request-logs/<day>.log: how many
                          # queries the engine received (the live dashboard's cache is measured by it).
                          "druid.request.logging.type": "file",
                          "druid.request.logging.dir": str(self.var("request-logs")),
                          "druid.processing.tmpDir": str(self.var("processing", service))})
        if service == "historical":
            props.update({**self.profile.processing[service], "druid.processing.tmpDir": str(self.var("processing", service)),
                          "druid.segmentCache.locations": json.dumps(
                              [{"path": str(self.var("segment-cache")), "maxSize": "20g"}])})
        if service == "indexer":
            # Four task slots: the tests run a supervisor per datasource side by side.
            props.update({**self.profile.processing[service], "druid.worker.capacity": "4",
                          "druid.worker.baseTaskDirs": json.dumps([str(self.var("task"))]),
                          "druid.indexer.task.hadoopWorkingPath": str(self.var("hadoop-tmp")),
                          "druid.processing.tmpDir": str(self.var("processing", service))})
        return props


def _write_properties(path: Path, values: dict[str, str]) -> None:
    """Write a Java .properties file (values here hold no characters needing escapes but ':' / '=')."""
    lines = [f"{k}={v}" for k, v in values.items()]
    path.write_text("# Generated by superset_divolte.local_stack: edits are overwritten.\n" + "\n".join(lines) + "\n")


def _write_log4j2(path: Path) -> None:
    """Log4j 2 configuration: INFO to stdout, which the harness sends to log/<service>.log."""
    path.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n<Configuration status="WARN">\n'
        '  <Appenders><Console name="Console" target="SYSTEM_OUT">\n'
        '    <PatternLayout pattern="%d{ISO8601} %p [%t] %c - %m%n"/></Console></Appenders>\n'
        '  <Loggers><Root level="info"><AppenderRef ref="Console"/></Root>\n'
        '    <Logger name="org.apache.kafka.clients.consumer.internals" level="warn"/>\n'
        '    <Logger name="org.apache.zookeeper" level="warn"/>\n'
        '    <Logger name="org.apache.curator" level="warn"/></Loggers>\n</Configuration>\n')
