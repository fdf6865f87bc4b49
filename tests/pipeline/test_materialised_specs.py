"""The materialised datasources' SQL, their batch specs and their datasets must not drift apart (no JVM needed)."""

from __future__ import annotations

import re
from pathlib import Path

from superset_divolte.assets import load_tree, resolve
from superset_divolte.sql_macros import FUNNEL_SKETCH_SIZE, MATERIALISED_FUNNEL_TABLE, funnel_levels_sql
from superset_divolte.druid import experiments as druid_experiments
from superset_divolte.druid import funnel as druid_funnel
from superset_divolte.druid.sessions import DAY_MS, SESSIONS_SQL_PATH, index_spec

REPO = Path(__file__).resolve().parents[2]


def _dataset(name: str = "sessions") -> dict:
    [file] = [f for f in load_tree(REPO).of_kind("datasets") if f.document["table_name"] == name]
    return resolve(file.document, "druid", placeholder="x")


def _spec() -> dict:
    return index_spec(3 * DAY_MS, Path("/staging"), "rows.json")["spec"]


def test_the_druid_dataset_is_the_datasource_itself() -> None:
    dataset = _dataset()
    assert not dataset.get("sql") and dataset["table_name"] == _spec()["dataSchema"]["dataSource"]


def test_every_dataset_column_is_a_column_of_the_datasource() -> None:
    schema = _spec()["dataSchema"]
    stored = {d["name"] for d in schema["dimensionsSpec"]["dimensions"]} | {"__time"}
    physical = {c["column_name"] for c in _dataset()["columns"] if not c.get("expression")}
    assert physical <= stored, physical - stored


def test_the_sql_yields_every_stored_column_the_transforms_do_not_derive() -> None:
    schema = _spec()["dataSchema"]
    derived = {t["name"] for t in schema["transformSpec"]["transforms"]}
    stored = {d["name"] for d in schema["dimensionsSpec"]["dimensions"]} | {schema["timestampSpec"]["column"]}
    sql = SESSIONS_SQL_PATH.read_text()
    selected = set(re.findall(r'AS "([A-Za-z_]+)"', sql)) | set(re.findall(r'^  "([A-Za-z_]+)",$', sql, re.M))
    assert stored - derived <= selected, (stored - derived) - selected


def test_each_run_replaces_exactly_one_day_from_the_staged_file() -> None:
    spec = _spec()
    assert spec["dataSchema"]["granularitySpec"]["intervals"] == ["1970-01-04T00:00:00.000Z/1970-01-05T00:00:00.000Z"]
    assert spec["ioConfig"]["dropExisting"] is True and spec["ioConfig"]["appendToExisting"] is False
    assert spec["ioConfig"]["inputSource"] == {"type": "local", "baseDir": "/staging", "filter": "rows.json"}


def _experiments_spec() -> dict:
    return druid_experiments.index_spec(0, 31 * DAY_MS, Path("/staging"), "rows.json")["spec"]


def test_the_druid_experiments_dataset_is_the_datasource_and_every_column_is_stored() -> None:
    dataset, schema = _dataset("experiments"), _experiments_spec()["dataSchema"]
    assert not dataset.get("sql") and dataset["table_name"] == schema["dataSource"]
    stored = {d["name"] for d in schema["dimensionsSpec"]["dimensions"]} | {"__time"}
    physical = {c["column_name"] for c in dataset["columns"] if not c.get("expression")}
    assert physical <= stored, physical - stored


def test_the_experiments_sql_yields_every_stored_column_but_the_stamp() -> None:
    schema = _experiments_spec()["dataSchema"]
    stored = {d["name"] for d in schema["dimensionsSpec"]["dimensions"]} | {schema["timestampSpec"]["column"]}
    selected = set(re.findall(r'AS "([A-Za-z_]+)"', druid_experiments.EXPERIMENTS_SQL_PATH.read_text()))
    selected |= set(re.findall(r'^  "([A-Za-z_]+)",$', druid_experiments.EXPERIMENTS_SQL_PATH.read_text(), re.M))
    assert stored - {"source_events", "source_latest_ms"} <= selected


def test_experiments_replace_whole_months_at_once() -> None:
    hour = 1_000 * 3_600
    rows = [{"hour_ms": 40 * DAY_MS + 5 * hour}, {"hour_ms": 59 * DAY_MS}]
    start, end = druid_experiments.replaced_interval(rows, {"first_ms": 3 * DAY_MS})
    assert (druid_experiments.iso(start), druid_experiments.iso(end)) == (
        "1970-01-01T00:00:00.000Z", "1970-04-01T00:00:00.000Z")
    spec = druid_experiments.index_spec(start, end, Path("/staging"), "rows.json")["spec"]
    assert spec["ioConfig"]["dropExisting"] is True and spec["ioConfig"]["appendToExisting"] is False
    assert spec["dataSchema"]["granularitySpec"]["segmentGranularity"] == "MONTH"


def test_the_funnel_levels_give_every_column_the_rolled_up_spec_reads() -> None:
    spec = druid_funnel.index_spec(0, DAY_MS, Path("/staging"), "rows.json")["spec"]
    schema = spec["dataSchema"]
    read = {d["name"] for d in schema["dimensionsSpec"]["dimensions"]} | {schema["timestampSpec"]["column"]}
    read |= {m["fieldName"] for m in schema["metricsSpec"] if "fieldName" in m}
    selected = set(re.findall(r'AS "([A-Za-z_]+)"', funnel_levels_sql(3 * DAY_MS))) | {"partyId"}
    assert read - {"source_latest_ms"} <= selected, (read - {"source_latest_ms"}) - selected
    assert schema["dataSource"] == MATERIALISED_FUNNEL_TABLE and schema["granularitySpec"]["rollup"] is True
    assert schema["granularitySpec"]["queryGranularity"] == "DAY"
    assert {m["type"]: m.get("size") for m in schema["metricsSpec"]} == {"count": None,
                                                                        "thetaSketch": FUNNEL_SKETCH_SIZE}
