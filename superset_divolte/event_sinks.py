"""Where generated events go: a DuckDB table or a Kafka topic, named by a sink URL."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, Sequence
from urllib.parse import urlparse

from superset_divolte import event_store, ground_truth
from superset_divolte.events import GeneratorSettings, generate_events
from superset_divolte.progress import ProgressPrinter

SINK_FORMS = "duckdb:///PATH[#TABLE] or kafka://HOST:PORT/TOPIC"


class SinkError(ValueError):
    """A sink URL this command cannot write to."""


def write_to(sink: str, records: Sequence[dict[str, Any]]) -> int:
    """Write ``records`` to the sink named by ``sink``; returns how many were confirmed written."""
    parsed = urlparse(sink)
    if parsed.scheme == "duckdb" and parsed.path:
        table = parsed.fragment or event_store.EVENTS_TABLE
        return event_store.write_events(Path(parsed.path), records, table,
                                        ProgressPrinter("writing to DuckDB"))
    if parsed.scheme == "kafka" and parsed.hostname and parsed.port and parsed.path.strip("/"):
        from superset_divolte import kafka_sink

        bootstrap, topic = f"{parsed.hostname}:{parsed.port}", parsed.path.strip("/")
        kafka_sink.ensure_topic(bootstrap, topic)
        return kafka_sink.produce_records(bootstrap, topic, records, progress=ProgressPrinter("writing to Kafka"))
    raise SinkError(f"--sink {sink!r} is not a sink this command knows; use {SINK_FORMS}")


def generate_to(sink: str, settings: GeneratorSettings, ground_truth_path: Path | None = None) -> int:
    """Generate events into ``sink``; the ground truth is written only once every event is stored."""
    records = generate_events(settings, ProgressPrinter("generating events", sys.stderr))
    written = write_to(sink, records)
    if ground_truth_path is not None:
        ground_truth_path.write_text(json.dumps(ground_truth.compute(records), indent=2, sort_keys=True))
    return written
