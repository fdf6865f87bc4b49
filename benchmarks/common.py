"""What the benchmarks share: the local stack, a Superset serving Druid, the machine, the results files.

Not a test: the benchmarks measure, print progress, and write ``benchmarks/results/<name>.json`` and
``<name>.md`` with the command that made them, the machine and the timestamps.
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import json
import math
import os
import platform
import shlex
import subprocess
import sys
import tempfile
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator, Sequence

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "benchmarks" / "results"
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))  # superset_server: a real Superset in a child process

from superset_divolte.local_stack import LocalStack  # noqa: E402
from superset_divolte.local_stack_artifacts import find_java, load_versions  # noqa: E402
from superset_divolte.local_stack_config import StackPorts  # noqa: E402


def say(message: str) -> None:
    """A progress line on stderr, with the wall-clock time."""
    print(f"[{datetime.now().strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def now_iso() -> str:
    """The current UTC time, ISO 8601, to the second."""
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()


def percentile(values: Sequence[float], p: float) -> float:
    """The nearest-rank p-th percentile (p in 0..100): a value that was measured, never interpolated."""
    ordered = sorted(values)
    if not ordered:
        raise ValueError("no values")
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def median(values: Sequence[float]) -> float:
    """The middle value (the mean of the two middle ones for an even count)."""
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def cli(*args: str, env: dict[str, str] | None = None, timeout: float = 900) -> subprocess.CompletedProcess[str]:
    """Run ``superset-divolte`` as a user would; raise with its stderr if it fails."""
    result = subprocess.run([sys.executable, "-m", "superset_divolte.cli", *args], cwd=REPO, env=env,
                            capture_output=True, text=True, timeout=timeout, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"superset-divolte {' '.join(args)} failed ({result.returncode}):\n{result.stderr[-3000:]}")
    return result


# --- the machine ------------------------------------------------------------------------------------------


def _cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def _memory_bytes() -> int:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) * 1024
    return 0


def _java_version() -> str:
    try:
        java = find_java()
        first = subprocess.run([str(java), "-version"], capture_output=True, text=True).stderr.splitlines()
        runtime = next((line for line in first if "Runtime" in line), "")
        return f"{first[0].strip()}; {runtime.strip()} ({java})"
    except Exception as error:  # noqa: BLE001 - reported, not fatal
        return f"unknown ({error})"


def _package(name: str) -> str:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def _git() -> dict[str, Any]:
    def run(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True).stdout.strip()
    return {"commit": run("rev-parse", "HEAD"), "uncommitted_changes": bool(run("status", "--porcelain"))}


def load_average() -> list[float]:
    """1, 5 and 15 minute load averages (other work on the machine skews every figure)."""
    return [float(x) for x in Path("/proc/loadavg").read_text().split()[:3]]


def machine() -> dict[str, Any]:
    """Cores, memory, CPU model, JDK and the versions of everything measured."""
    import confluent_kafka

    versions = load_versions()
    return {
        "cores": os.cpu_count(), "memory_bytes": _memory_bytes(),
        "memory_gib": round(_memory_bytes() / 2**30, 1), "cpu_model": _cpu_model(),
        "kernel": platform.release(), "jdk": _java_version(), "python": platform.python_version(),
        "versions": {"druid": versions.druid, "kafka": versions.kafka, "superset": _package("apache-superset"),
                     "pydruid": _package("pydruid"), "confluent_kafka": confluent_kafka.version(),
                     "librdkafka": confluent_kafka.libversion()[0], "fastavro": _package("fastavro")},
        "superset_divolte": _git(),
    }


# --- the local stack and a Superset on Druid --------------------------------------------------------------


@contextlib.contextmanager
def local_stack(workdir: Path | None) -> Iterator[tuple[LocalStack, dict[str, Any]]]:
    """A healthy local stack and facts about its start; one started here is stopped at the end.

    With ``workdir`` of a stack already running (``superset-divolte stack local up --workdir``), that one is
    used and left running.
    """
    scratch = None
    if workdir is None:
        scratch = tempfile.TemporaryDirectory(prefix="superset-divolte-bench-")
        stack = LocalStack(Path(scratch.name) / "stack", ports=StackPorts.free())
    else:
        stack = LocalStack(workdir)
    was_running = any(s["running"] for s in stack.status()["services"].values())
    try:
        timings = stack.up(progress=say)
        services = stack.status()["services"]
        facts = {"started_here": not was_running, "up_seconds": round(timings.get("total", 0.0), 1),
                 "services_start_seconds": round(timings.get("start", 0.0), 1),
                 "rss_after_start_mib": {n: round(s["rss_bytes"] / 2**20) for n, s in services.items()}}
        yield stack, facts
        services = stack.status()["services"]
        facts["rss_at_end_mib"] = {n: round(s["rss_bytes"] / 2**20) for n, s in services.items()}
    finally:
        if not was_running:
            stack.down(progress=say)
        if scratch is not None:
            scratch.cleanup()


# --- results ----------------------------------------------------------------------------------------------


def command_line() -> str:
    """How this benchmark was started, runnable from the repository root."""
    script = Path(sys.argv[0]).resolve()
    shown = script.relative_to(REPO) if script.is_relative_to(REPO) else script
    return shlex.join([".venv/bin/python", str(shown), *sys.argv[1:]])


def write_results(name: str, payload: dict[str, Any], markdown: str) -> tuple[Path, Path]:
    """benchmarks/results/<name>.json and .md."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    json_path, md_path = RESULTS / f"{name}.json", RESULTS / f"{name}.md"
    json_path.write_text(json.dumps(payload, indent=2, sort_keys=False) + "\n")
    md_path.write_text(markdown.rstrip() + "\n")
    return json_path, md_path


def machine_markdown(info: dict[str, Any], stack_facts: dict[str, Any], started: str, finished: str,
                     load: dict[str, list[float]]) -> str:
    """The Markdown lines on where and when the figures were measured."""
    v = info["versions"]
    rss = stack_facts.get("rss_at_end_mib") or stack_facts.get("rss_after_start_mib", {})
    return "\n".join([
        f"- Machine: {info['cores']} cores ({info['cpu_model']}), {info['memory_gib']} GiB memory, "
        f"Linux {info['kernel']}",
        f"- JDK: {info['jdk']}",
        f"- Versions: Druid {v['druid']}, Kafka {v['kafka']}, Superset {v['superset']}, "
        f"librdkafka {v['librdkafka']}, Python {info['python']}; superset-divolte "
        f"{info['superset_divolte']['commit'][:12]}"
        f"{' (with uncommitted changes)' if info['superset_divolte']['uncommitted_changes'] else ''}",
        f"- Local stack: 6 JVMs, {sum(rss.values()):,} MiB resident at the end "
        f"({', '.join(f'{n} {m}' for n, m in rss.items())}); "
        + (f"started for this run in {stack_facts['up_seconds']:.0f} s" if stack_facts.get("started_here")
           else "already running"),
        f"- Run: {started} to {finished} (UTC); load average before {load['before']}, after {load['after']}",
    ])
