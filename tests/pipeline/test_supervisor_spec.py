"""The Druid supervisor spec in stack/druid/ and the Avro schema must not drift apart (no JVM needed)."""

from __future__ import annotations

import json

from superset_divolte.druid.client import BOOTSTRAP_PLACEHOLDER, SUPERVISOR_SPEC_PATH, supervisor_spec
from superset_divolte.event_schema import TIME_FIELD, avro_schema, event_fields

# Avro type -> Druid dimension type. Booleans become string dimensions ("true"/"false").
DIMENSION_TYPE = {"string": "string", "boolean": "string", "int": "long", "long": "long"}


def _spec() -> dict:
    return json.loads(SUPERVISOR_SPEC_PATH.read_text())


def test_inline_schema_is_the_avsc() -> None:
    decoder = _spec()["spec"]["ioConfig"]["inputFormat"]["avroBytesDecoder"]
    assert decoder["type"] == "schema_inline"
    assert decoder["schema"] == avro_schema()


def test_dimensions_are_every_field_but_the_time_with_matching_types() -> None:
    dimensions = _spec()["spec"]["dataSchema"]["dimensionsSpec"]["dimensions"]
    wanted = [{"type": DIMENSION_TYPE[f.avro_type], "name": f.name} for f in event_fields() if not f.is_time]
    assert dimensions == wanted


def test_time_rollup_and_metrics() -> None:
    data_schema = _spec()["spec"]["dataSchema"]
    assert data_schema["timestampSpec"] == {"column": TIME_FIELD, "format": "millis", "missingValue": None}
    assert data_schema["granularitySpec"]["rollup"] is False  # one Druid row per event: exact counts
    assert data_schema["metricsSpec"] == []
    io_config = _spec()["spec"]["ioConfig"]
    assert io_config["useEarliestOffset"] is True
    assert io_config["topic"] == "divolte" and data_schema["dataSource"] == "clickstream"


def test_bootstrap_servers_are_filled_in_at_provisioning() -> None:
    assert _spec()["spec"]["ioConfig"]["consumerProperties"]["bootstrap.servers"] == BOOTSTRAP_PLACEHOLDER
    spec = supervisor_spec("127.0.0.1:19092")
    assert spec["spec"]["ioConfig"]["consumerProperties"]["bootstrap.servers"] == "127.0.0.1:19092"
    assert BOOTSTRAP_PLACEHOLDER not in json.dumps(spec)
