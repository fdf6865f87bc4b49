"""Jars for the local Kafka + Druid stack, resolved by Maven from Maven Central and cached.

Layout of the cache (default ``~/.cache/superset-divolte/stack``, env
``SUPERSET_DIVOLTE_STACK_CACHE`` overrides)::

    m2/                              Maven's local repository (the downloads)
    build/                           generated poms, Maven logs, the Avro extension build
    druid-<v>/lib/                   Druid's core class path (hard links into m2/)
    druid-<v>/extensions/<name>/     one folder per loaded extension
    kafka-<v>/libs/                  Kafka broker class path
    <bundle>/.complete               written last: a bundle without it is rebuilt

Maven Central serves no ``druid-avro-extensions`` jar for the Druid releases whose
other artifacts it serves, so that extension is compiled here from Apache's source
release (``org.apache.druid:distribution:<v>:tar.gz``, also on Maven Central), minus
the schema-registry decoder (its Confluent client is not on Maven Central) and the
Hadoop record readers; the ``schema_inline`` decoder we use is upstream's, unchanged.
"""

from __future__ import annotations

import fcntl
import functools
import json
import os
import re
import shutil
import subprocess
import tarfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

Progress = Callable[[str], None]

REPO_ROOT = Path(__file__).resolve().parent.parent
STACK_FILES = Path(__file__).parent / "stack_druid"
"""``stack/druid`` of the repository, reached through a link so that wheels carry it too."""
VERSIONS_FILE = STACK_FILES / "versions.env"
CACHE_ENV = "SUPERSET_DIVOLTE_STACK_CACHE"
JAVA_ENV = "SUPERSET_DIVOLTE_JAVA_HOME"
DEPENDENCY_PLUGIN = "org.apache.maven.plugins:maven-dependency-plugin:3.8.1"
# Druid 33 supports Java 11, 17 and 21; 11 is not installed here, 25 is untested upstream.
SUPPORTED_JAVA = (17, 21)

DRUID_EXTENSIONS = ("druid-kafka-indexing-service", "druid-datasketches")
AVRO_EXTENSION = "druid-avro-extensions"
# Runtime libraries of druid-avro-extensions (versions as in Druid 33's parent pom).
AVRO_EXTENSION_DEPS = (
    ("org.apache.avro", "avro", "1.11.4"),
    ("org.schemarepo", "schema-repo-api", "0.1.3"),
    ("org.schemarepo", "schema-repo-client", "0.1.3"),
    ("org.schemarepo", "schema-repo-avro", "0.1.3"),
    ("org.schemarepo", "schema-repo-common", "0.1.3"),
)
# Sources left out of the Avro extension build, and why.
AVRO_SKIPPED_SOURCES = {
    "SchemaRegistryBasedAvroBytesDecoder.java": "needs Confluent's client, not on Maven Central",
    "AvroValueInputFormat.java": "Hadoop batch ingestion only",
    "AvroValueRecordReader.java": "Hadoop batch ingestion only",
}
AVRO_SOURCE_DIR = "extensions-core/avro-extensions/src/main"


class ArtifactError(RuntimeError):
    """Resolving or building the stack's jars failed."""


@dataclass(frozen=True)
class StackVersions:
    """Pinned component versions, read from ``stack/druid/versions.env``."""

    druid: str
    kafka: str


@dataclass(frozen=True)
class StackArtifacts:
    """Where the resolved jars of one stack live."""

    cache: Path
    versions: StackVersions
    java: Path

    @property
    def druid_lib(self) -> Path:
        """Druid's core class path folder."""
        return self.cache / f"druid-{self.versions.druid}" / "lib"

    @property
    def druid_extensions(self) -> Path:
        """Folder holding one sub-folder per Druid extension."""
        return self.cache / f"druid-{self.versions.druid}" / "extensions"

    @property
    def kafka_libs(self) -> Path:
        """Kafka's class path folder."""
        return self.cache / f"kafka-{self.versions.kafka}" / "libs"


def load_versions(path: Path = VERSIONS_FILE) -> StackVersions:
    """Read DRUID_VERSION and KAFKA_VERSION from the versions env file."""
    values: dict[str, str] = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            key, value = line.split("=", 1)
            values[key.strip()] = value.strip()
    try:
        return StackVersions(druid=values["DRUID_VERSION"], kafka=values["KAFKA_VERSION"])
    except KeyError as missing:
        raise ArtifactError(f"{path} lacks {missing}") from None


def default_cache_dir() -> Path:
    """The jar cache: env SUPERSET_DIVOLTE_STACK_CACHE or ~/.cache/superset-divolte/stack."""
    override = os.environ.get(CACHE_ENV)
    return Path(override).expanduser() if override else Path.home() / ".cache" / "superset-divolte" / "stack"


def java_major(java: Path) -> int:
    """Major version of a java binary (17 for 17.0.15)."""
    out = subprocess.run([str(java), "-version"], capture_output=True, text=True, check=True).stderr
    match = re.search(r'version "(\d+)', out)
    if not match:
        raise ArtifactError(f"cannot read the version of {java}: {out.strip()}")
    return int(match.group(1))


def find_java() -> Path:
    """A java binary of a version Druid supports: env SUPERSET_DIVOLTE_JAVA_HOME, JAVA_HOME, PATH, /usr/lib/jvm."""
    candidates = [Path(os.environ[v]) / "bin" / "java" for v in (JAVA_ENV, "JAVA_HOME") if os.environ.get(v)]
    on_path = shutil.which("java")
    if on_path:
        candidates.append(Path(on_path).resolve())
    candidates += sorted(Path("/usr/lib/jvm").glob("*/bin/java"))
    seen = []
    for java in candidates:
        if java.exists():
            major = java_major(java)
            seen.append(f"{java} ({major})")
            if major in SUPPORTED_JAVA:
                return java
    raise ArtifactError(
        f"no Java {' or '.join(map(str, SUPPORTED_JAVA))} found (tried: {', '.join(seen) or 'none'}); "
        f"install one or set {JAVA_ENV}"
    )


def ensure_artifacts(cache: Path | None = None, progress: Progress = print) -> StackArtifacts:
    """Resolve (first run) or reuse (later runs) every jar the local stack needs."""
    cache = (cache or default_cache_dir()).resolve()
    cache.mkdir(parents=True, exist_ok=True)
    with (cache / ".lock").open("w") as lock:
        # Two processes filling one cache at once would trample each other's bundles.
        fcntl.flock(lock, fcntl.LOCK_EX)
        return _ensure_locked(cache, progress)


def _ensure_locked(cache: Path, progress: Progress) -> StackArtifacts:
    """ensure_artifacts, with the cache lock held."""
    versions = load_versions()
    java = find_java()
    artifacts = StackArtifacts(cache=cache, versions=versions, java=java)
    maven = _Maven(cache, progress)
    started = time.monotonic()
    _ensure_bundle(artifacts.kafka_libs, progress, lambda: maven.link_into(
        "kafka", [("org.apache.kafka", "kafka_2.13", versions.kafka), ("org.slf4j", "slf4j-reload4j", "1.7.36")],
        artifacts.kafka_libs))
    _ensure_bundle(artifacts.druid_lib, progress, lambda: maven.link_into(
        "druid-core", [("org.apache.druid", "druid-services", versions.druid)], artifacts.druid_lib,
        exclusions=[("org.hyperic", "sigar")]))
    for name in DRUID_EXTENSIONS:
        target = artifacts.druid_extensions / name
        _ensure_bundle(target, progress, functools.partial(
            maven.link_into, name, [("org.apache.druid.extensions", name, versions.druid)], target,
            exclusions=[("io.confluent", "*")], skip_present_in=artifacts.druid_lib))
    avro_dir = artifacts.druid_extensions / AVRO_EXTENSION
    _ensure_bundle(avro_dir, progress, lambda: _build_avro_extension(artifacts, maven, avro_dir))
    _record_download(cache, maven, time.monotonic() - started)
    return artifacts


def _ensure_bundle(target: Path, progress: Progress, build: Callable[[], None]) -> None:
    """Run build() unless target holds a finished bundle; mark it finished afterwards."""
    marker = target / ".complete"
    if marker.exists():
        return
    if target.exists():
        shutil.rmtree(target)  # a half-built bundle from an interrupted run
    target.mkdir(parents=True)
    started = time.monotonic()
    build()
    marker.write_text(json.dumps({"seconds": round(time.monotonic() - started, 1)}))
    progress(f"stack jars: {target.relative_to(target.parents[1])} ready ({len(list(target.glob('*.jar')))} jars)")


def _record_download(cache: Path, maven: "_Maven", seconds: float) -> None:
    """Keep the Maven download figures (first run only) in cache/metrics.json."""
    if not maven.ran:
        return
    size = sum(f.stat().st_size for f in (cache / "m2").rglob("*") if f.is_file())
    (cache / "metrics.json").write_text(json.dumps(
        {"resolve_seconds": round(seconds, 1), "m2_bytes": size, "maven_runs": maven.ran}, indent=2))


class _Maven:
    """Runs Maven on generated poms, against Maven Central only, with a private local repository."""

    def __init__(self, cache: Path, progress: Progress) -> None:
        self.cache = cache
        self.progress = progress
        self.build = cache / "build"
        self.ran = 0

    def resolve(self, name: str, deps: list[tuple[str, ...]],
                exclusions: list[tuple[str, str]] | None = None) -> list[tuple[str, Path]]:
        """Resolve deps with their runtime closure; return (groupId:artifactId, jar path) pairs."""
        folder = self.build / name
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "pom.xml").write_text(_pom(name, deps, exclusions or []))
        listing = folder / "dependencies.txt"
        self._run(folder, name, [f"{DEPENDENCY_PLUGIN}:list", f"-DoutputFile={listing}",
                                 "-DoutputAbsoluteArtifactFilename=true", "-DincludeScope=runtime"])
        return _parse_listing(listing.read_text())

    def link_into(self, name: str, deps: list[tuple[str, ...]], target: Path,
                  exclusions: list[tuple[str, str]] | None = None, skip_present_in: Path | None = None) -> None:
        """Resolve deps and hard-link their jars into target, minus those already in skip_present_in."""
        present = _artifact_ids(skip_present_in) if skip_present_in else set()
        jars = [(c, j) for c, j in self.resolve(name, deps, exclusions) if j.suffix == ".jar"]
        for coordinate, jar in jars:
            if coordinate not in present:
                _link(jar, target / jar.name)
        # Which groupId:artifactId each jar is, for skip_present_in of later bundles.
        (target / "artifacts.json").write_text(json.dumps(sorted(c for c, _ in jars), indent=0))

    def _run(self, folder: Path, name: str, goals: list[str]) -> None:
        """Run mvn in folder, streaming its log to a file and a progress line now and then."""
        if shutil.which("mvn") is None:
            raise ArtifactError("Maven (mvn) is not on PATH; it resolves the stack's jars: install it "
                                "(Debian: apt-get install maven)")
        settings = self._settings()
        log = folder / "maven.log"
        cmd = ["mvn", "-B", "-s", str(settings), f"-Dmaven.repo.local={self.cache / 'm2'}", *goals]
        self.progress(f"stack jars: resolving {name} with Maven (log: {log})")
        self.ran += 1
        with log.open("w") as out:
            proc = subprocess.Popen(cmd, cwd=folder, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            assert proc.stdout is not None
            downloads, last = 0, time.monotonic()
            for line in proc.stdout:
                out.write(line)
                downloads += line.startswith("[INFO] Downloaded from")
                if time.monotonic() - last > 10:
                    self.progress(f"stack jars: {name}: {downloads} files downloaded so far")
                    last = time.monotonic()
            code = proc.wait()
        if code != 0:
            errors = [line for line in log.read_text().splitlines() if line.startswith("[ERROR]")][:3]
            raise ArtifactError(f"Maven failed resolving {name} (exit {code}); read {log}:\n" + "\n".join(errors))

    def _settings(self) -> Path:
        """settings.xml that sends every repository a pom declares except central to a dead end.

        Druid's poms declare extra repositories that are unreachable from here; without this
        Maven tries each of them for every artifact.
        """
        settings = self.build / "settings.xml"
        if not settings.exists():
            blocked = self.build / "blocked-repository"
            blocked.mkdir(parents=True, exist_ok=True)
            settings.write_text(
                "<settings><mirrors><mirror><id>central-only</id><mirrorOf>*,!central</mirrorOf>"
                f"<url>{blocked.as_uri()}</url></mirror></mirrors></settings>\n")
        return settings


def _pom(name: str, deps: list[tuple[str, ...]], exclusions: list[tuple[str, str]]) -> str:
    """A pom whose only purpose is to list deps (g, a, v[, type]) for the dependency plugin."""
    excl = "".join(f"<exclusion><groupId>{g}</groupId><artifactId>{a}</artifactId></exclusion>" for g, a in exclusions)
    body = "".join(
        f"<dependency><groupId>{d[0]}</groupId><artifactId>{d[1]}</artifactId><version>{d[2]}</version>"
        + (f"<type>{d[3]}</type>" if len(d) > 3 else "")
        + f"<exclusions>{excl}</exclusions></dependency>\n" for d in deps)
    return ("<project xmlns=\"http://maven.apache.org/POM/4.0.0\"><modelVersion>4.0.0</modelVersion>\n"
            f"<groupId>superset-divolte.stack</groupId><artifactId>{name}</artifactId><version>1</version>"
            f"<packaging>pom</packaging>\n<dependencies>\n{body}</dependencies></project>\n")


def _parse_listing(text: str) -> list[tuple[str, Path]]:
    """Parse dependency:list output lines 'g:a:type[:classifier]:v:scope:/path[ -- module x]'."""
    result = []
    for line in text.splitlines():
        line = line.strip().split(" -- ")[0]
        if ":/" not in line:
            continue
        coords, path = line.split(":/", 1)
        parts = coords.split(":")
        result.append((f"{parts[0]}:{parts[1]}", Path("/" + path)))
    return result


def _artifact_ids(bundle: Path) -> set[str]:
    """groupId:artifactId of every jar in a finished bundle."""
    return set(json.loads((bundle / "artifacts.json").read_text()))


def _link(source: Path, target: Path) -> None:
    """Hard-link (same file system, no extra space) or else copy."""
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


def _build_avro_extension(artifacts: StackArtifacts, maven: _Maven, target: Path) -> None:
    """Compile druid-avro-extensions from Druid's source release and fill target with it and its libraries."""
    version = artifacts.versions.druid
    maven.link_into(AVRO_EXTENSION, [(g, a, v) for g, a, v in AVRO_EXTENSION_DEPS], target,
                    exclusions=[("io.confluent", "*")], skip_present_in=artifacts.druid_lib)
    tarball = [j for c, j in maven.resolve(f"{AVRO_EXTENSION}-source",
                                           [("org.apache.druid", "distribution", version, "tar.gz")],
                                           exclusions=[("*", "*")]) if j.name.endswith(".tar.gz")]
    if not tarball:
        raise ArtifactError(f"Maven resolved no org.apache.druid:distribution:{version}:tar.gz")
    work = maven.build / f"{AVRO_EXTENSION}-source" / "src"
    shutil.rmtree(work, ignore_errors=True)
    sources = _extract_avro_sources(tarball[0], work)
    classes = work / "classes"
    classpath = f"{artifacts.druid_lib}/*:{target}/*"
    javac = artifacts.java.parent / "javac"
    if not javac.exists():
        raise ArtifactError(f"{javac} is missing: building {AVRO_EXTENSION} needs a JDK, not only a JRE")
    maven.progress(f"stack jars: compiling {AVRO_EXTENSION} {version} ({len(sources)} sources)")
    done = subprocess.run([str(javac), "--release", "11", "-nowarn", "-proc:none", "-encoding", "UTF-8",
                           "-cp", classpath, "-d", str(classes), *map(str, sources)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        raise ArtifactError(f"compiling {AVRO_EXTENSION} failed:\n{done.stderr[-3000:]}")
    shutil.copytree(work / "main" / "resources", classes, dirs_exist_ok=True)
    jar = target / f"{AVRO_EXTENSION}-{version}.jar"
    subprocess.run([str(artifacts.java.parent / "jar"), "--create", "--file", str(jar), "-C", str(classes), "."],
                   check=True)


def _extract_avro_sources(tarball: Path, work: Path) -> list[Path]:
    """Extract the Avro extension's main sources, dropping the skipped files and their one registration."""
    with tarfile.open(tarball) as tar:
        members = [m for m in tar.getmembers() if f"/{AVRO_SOURCE_DIR}/" in m.name and m.isfile()]
        for member in members:
            relative = member.name.split(f"/{AVRO_SOURCE_DIR}/", 1)[1]
            if Path(relative).name in AVRO_SKIPPED_SOURCES:
                continue
            out = work / "main" / relative
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_bytes(tar.extractfile(member).read())  # type: ignore[union-attr]
    decoder = next((work / "main").rglob("AvroBytesDecoder.java"), None)
    if decoder is None:
        raise ArtifactError(f"{tarball} has no AvroBytesDecoder.java under {AVRO_SOURCE_DIR}")
    lines = decoder.read_text().splitlines(keepends=True)
    kept = [line for line in lines if "SchemaRegistryBasedAvroBytesDecoder.class" not in line]
    if len(lines) - len(kept) != 1:
        raise ArtifactError(f"expected one schema_registry registration in {decoder}, found {len(lines) - len(kept)}")
    # The removed entry was the last of the @JsonSubTypes list: drop the comma it leaves dangling.
    text = re.sub(r",(\s*\}\))", r"\1", "".join(kept), count=1)
    decoder.write_text(text)
    return sorted((work / "main" / "java").rglob("*.java"))
