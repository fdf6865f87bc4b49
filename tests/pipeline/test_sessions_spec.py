"""The sessions datasource's SQL, its batch spec and the sessions dataset must not drift apart (no JVM needed)."""

from __future__ import annotations

import re
from pathlib import Path

from superset_divolte.assets import load_tree, resolve
from superset_divolte.druid_sessions import DAY_MS, SESSIONS_SQL_PATH, index_spec

REPO = Path(__file__).resolve().parents[2]


def _dataset() -> dict:
    [file] = [f for f in load_tree(REPO).of_kind("datasets") if f.document["table_name"] == "sessions"]
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
