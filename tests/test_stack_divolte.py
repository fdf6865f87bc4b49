"""No drift between the container stack and the files the local stack and its tests use.

The collector configuration is read with a real HOCON parser (pyhocon); the mapping is
compared field by field with the project's one Avro schema.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from dateutil.relativedelta import relativedelta
from pyhocon import ConfigFactory

from conftest import REPO
from superset_divolte import event_schema
from superset_divolte.druid import client as druid_client
from superset_divolte.events import SESSION_TIMEOUT_MS

STACK = REPO / "stack"
DIVOLTE = STACK / "divolte"
MAPPED_FIELD = re.compile(r"^\s*map\s+.+?\s+onto\s+'(\w+)'\s*$", re.MULTILINE)
EVENT_PARAMETER = re.compile(r"eventParameters\(\)\.value\('(\w+)'\)\s+onto\s+'(\w+)'")


def collector_config():
    return ConfigFactory.parse_file(str(DIVOLTE / "divolte-collector.conf"))


def divolte_mounts() -> dict[str, Path]:
    """Container path -> repository file, for the divolte service's bind mounts."""
    service = yaml.safe_load((STACK / "docker-compose.yml").read_text())["services"]["divolte"]
    return {volume["target"]: (STACK / volume["source"]).resolve() for volume in service["volumes"]}


def mapped_fields(text: str) -> list[str]:
    without_comments = re.sub(r"//.*", "", text)
    return MAPPED_FIELD.findall(without_comments)


def test_config_parses_as_hocon_and_names_the_mounted_schema_and_mapping() -> None:
    mapping = collector_config()["divolte.mappings.clickstream"]
    mounts = divolte_mounts()
    assert mounts[mapping["schema_file"]] == (REPO / "superset_divolte" / event_schema.SCHEMA_RESOURCE).resolve()
    assert mounts[mapping["mapping_script_file"]] == (DIVOLTE / "mapping.groovy").resolve()
    assert mounts["/opt/divolte/divolte-collector/conf/divolte-collector.conf"] == (
        DIVOLTE / "divolte-collector.conf").resolve()
    assert list(mapping["sources"]) == ["browser"] and list(mapping["sinks"]) == ["kafka"]


def test_the_schema_the_stack_mounts_is_the_one_the_local_stack_and_druid_spec_use() -> None:
    schema_file = divolte_mounts()[collector_config()["divolte.mappings.clickstream.schema_file"]]
    assert schema_file.read_text() == event_schema.schema_text()
    # The Druid spec provision submits is the local stack's file, shipped in the image through the package.
    assert druid_client.SUPERVISOR_SPEC_PATH.resolve() == (STACK / "druid" / "clickstream-supervisor.json").resolve()
    assert "COPY --chown=superset:superset stack/druid/ /build/stack/druid/" in (REPO / "Dockerfile").read_text()
    spec = druid_client.supervisor_spec("kafka:19092")
    assert spec["spec"]["ioConfig"]["topic"] == collector_config()["divolte.sinks.kafka.topic"]


def test_every_schema_field_is_mapped_once_and_nothing_else() -> None:
    mapped = mapped_fields((DIVOLTE / "mapping.groovy").read_text())
    assert len(mapped) == len(set(mapped)), "a field is mapped twice"
    assert set(mapped) == set(event_schema.field_names())


def test_mapping_check_sees_a_missing_and_an_unknown_field() -> None:
    text = (DIVOLTE / "mapping.groovy").read_text()
    broken = text.replace("map userAgent().osVendor() onto 'userAgentOsVendor'\n", "") + "map 'x' onto 'notInSchema'\n"
    mapped = set(mapped_fields(broken))
    assert set(event_schema.field_names()) - mapped == {"userAgentOsVendor"}
    assert mapped - set(event_schema.field_names()) == {"notInSchema"}


def test_url_parts_and_event_parameters_are_mapped() -> None:
    text = (DIVOLTE / "mapping.groovy").read_text()
    assert dict(EVENT_PARAMETER.findall(text)) == {"technology": "technology", "experiment": "experiment",
                                                  "variant": "variant"}
    for query_parameter, field in (("utm_source", "utmSource"), ("utm_medium", "utmMedium"),
                                   ("utm_campaign", "utmCampaign")):
        assert f"locationQuery.value('{query_parameter}') onto '{field}'" in text
    assert "parse location() to uri" in text and "locationUri.path() onto 'locationPath'" in text
    assert "parse referer() to uri" in text and "refererUri.host() onto 'refererHost'" in text


def test_producer_does_not_drop_events_when_a_broker_blips() -> None:
    producer = collector_config()["divolte.global.kafka.producer"]
    assert producer["acks"] == "all"
    assert int(producer["retries"]) >= 1_000_000
    assert producer["enable.idempotence"] is True
    # kafka-clients 2.0 refuses idempotence with more than 5 requests in flight.
    assert int(producer["max.in.flight.requests.per.connection"]) <= 5
    assert collector_config()["divolte.global.kafka.enabled"] is True


def test_duplicates_and_corrupt_events_are_kept_flagged_and_sessions_match_the_generator() -> None:
    config = collector_config()
    mapping = config["divolte.mappings.clickstream"]
    # Kept, so the dashboards can count what they leave out (docs/metrics.md, "Included events").
    assert mapping["discard_corrupted"] is False and mapping["discard_duplicates"] is False
    assert "discard_duplicates = false" in (REPO / "docs" / "metrics.md").read_text()
    browser = config["divolte.sources.browser"]
    assert browser["session_timeout"] == relativedelta(minutes=SESSION_TIMEOUT_MS // 60_000)
    assert browser["javascript"]["name"] == "divolte.js"
    # The pages signal their own pageView, with the experiment's parameters.
    assert browser["javascript"]["auto_page_view_event"] is False
    assert config["divolte.sinks.kafka.mode"] == "naked"


@pytest.mark.parametrize("broken", ["divolte { global { kafka { producer = { acks = all } }", "divolte { x = [1, 2 }"])
def test_the_parser_rejects_broken_hocon(broken: str) -> None:
    with pytest.raises(Exception):
        ConfigFactory.parse_string(broken)
