"""`validate` against hostile and careless files: every one reported with file, field and fix, exit 2, no hang.

One tree holds every mistake, each in a file of its own (copies of the repository's
files with fresh uuids), and one run of the command must report all of them.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import yaml

from conftest import REPO
from superset_divolte.assets import AssetLoader, EnvString, dump_yaml
from test_validate import assert_reported, copy_tree

DONUT = "dashboards/charts/technology_popularity.yaml"
DASHBOARD = "dashboards/dashboards/technology_popularity.yaml"
DATASET = "datasets/datasets/Clickstream/experiments.yaml"
DATABASE = "datasets/databases/Clickstream.yaml"
ALIAS_BOMB = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + level)}: &{chr(98 + level)} [{', '.join([f'*{chr(97 + level)}'] * 10)}]\n" for level in range(8))
VALIDATE_TIMEOUT = 180


def _variant(root: Path, source: str, name: str, change) -> None:
    """A copy of ``source`` next to it, named ``name``, with a fresh uuid and ``change`` applied."""
    document = yaml.load((root / source).read_text(), Loader=AssetLoader)
    document["uuid"] = str(uuid.uuid4())
    change(document)
    (root / source).with_name(name).write_text(dump_yaml(document))


def _set(key: str, value):
    return lambda document: document.__setitem__(key, value)


def _set_param(key: str, value):
    return lambda document: document["params"].__setitem__(key, value)


def _duckdb_sql(sql: str):
    return lambda document: document["sql"].values.__setitem__("duckdb", sql)


def _write_hostile_tree(root: Path, outside: Path) -> None:
    copy_tree(root)
    charts = root / "dashboards/charts"
    (charts / "latin1.yaml").write_bytes("slice_name: Caf\xe9 cr\xe8me\n".encode("latin-1"))
    (charts / "deep.yaml").write_text("[" * 5000)
    (charts / "bomb.yaml").write_text(ALIAS_BOMB)
    (charts / "spelled.yml").write_text((root / DONUT).read_text())
    outside.write_text((root / DONUT).read_text())
    (charts / "linked_out.yaml").symlink_to(outside)
    os.symlink(outside.parent, root / "dashboards/linked_folder")
    _variant(root, DONUT, "params_list.yaml", _set("params", ["groupby", "technology"]))
    _variant(root, DONUT, "filter_string.yaml", _set_param("adhoc_filters", ["technology = 'Java'"]))
    _variant(root, DONUT, "unknown_viz.yaml", lambda d: (d.update(viz_type="no_such_chart"),
                                                          d["params"].update(viz_type="no_such_chart")))
    _variant(root, DONUT, "future_version.yaml", _set("version", "2.0.0"))
    _variant(root, DASHBOARD, "position_list.yaml", _set("position", ["CHART-1"]))
    _variant(root, DATASET, "nameless_column.yaml", lambda d: (d.update(table_name="nameless"),
                                                                d["columns"].append({"type": "VARCHAR"})))
    _variant(root, DATASET, "bad_sql.yaml", lambda d: (d.update(table_name="bad_sql"),
                                                        _duckdb_sql("SELECT FROM WHERE ((")(d)))
    _variant(root, DATASET, "superset_jinja.yaml", lambda d: (d.update(table_name="superset_jinja"), _duckdb_sql(
        "SELECT * FROM clickstream WHERE technology IN {{ filter_values('technology') | where_in }}")(d)))
    _variant(root, DATABASE, "literal_password.yaml", lambda d: d.update(
        database_name="literal", sqlalchemy_uri=EnvString("druid://admin:hunter2secret@${HOST:-127.0.0.1}:8082/")))


@pytest.fixture(scope="module")
def hostile(tmp_path_factory) -> subprocess.CompletedProcess[str]:
    """``superset-divolte validate`` of the hostile tree."""
    folder = tmp_path_factory.mktemp("hostile")
    (folder / "elsewhere").mkdir()
    _write_hostile_tree(folder / "tree", folder / "elsewhere" / "donut.yaml")
    return subprocess.run([sys.executable, "-m", "superset_divolte.cli", "validate", str(folder / "tree")],
                          cwd=REPO, capture_output=True, text=True, timeout=VALIDATE_TIMEOUT, check=False)


def test_validate_ends_with_exit_2_and_no_traceback(hostile: subprocess.CompletedProcess[str]) -> None:
    assert hostile.returncode == 2, hostile.stderr[-4000:]
    assert "Traceback" not in hostile.stderr, hostile.stderr[-4000:]


@pytest.mark.parametrize(("file", "field", "words"), [
    ("latin1.yaml", "byte", "not UTF-8"),
    ("deep.yaml", "line 1", "nested deeper than"),
    ("bomb.yaml", "line", "aliases expand it to more than"),
    ("spelled.yml", "", "a .yml file"),
    ("linked_out.yaml", "", "outside"),
    ("linked_folder", "", "a folder symlink"),
    ("params_list.yaml", "params", "mapping"),
    ("filter_string.yaml", "params.adhoc_filters[0]", "mapping"),
    ("unknown_viz.yaml", "viz_type", "no_such_chart"),
    ("future_version.yaml", "version", "2.0.0"),
    ("position_list.yaml", "position", "mapping"),
    ("nameless_column.yaml", "columns[", "column_name"),
    ("bad_sql.yaml", "sql[duckdb]", "does not parse as duckdb SQL"),
    ("literal_password.yaml", "sqlalchemy_uri", "password"),
])
def test_each_hostile_file_is_reported_with_field_and_fix(hostile: subprocess.CompletedProcess[str], file: str,
                                                          field: str, words: str) -> None:
    assert_reported(hostile.stderr, file, field, words)


def test_the_untouched_files_raise_nothing(hostile: subprocess.CompletedProcess[str]) -> None:
    reported = [line for line in hostile.stderr.splitlines() if "superset-divolte" not in line and ".yaml:" in line]
    # Jinja that needs a query's context (Superset's own macros) is not parsed, so not reported.
    assert not [line for line in reported if "technology_clicks_over_time.yaml" in line
                or "superset_jinja.yaml" in line], reported
