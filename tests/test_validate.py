"""`superset-divolte validate`: Superset's own schemas and the checks across files, every problem at once."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from conftest import REPO, run_cli
from superset_divolte.assets import AssetLoader, dump_yaml

DONUT = "dashboards/charts/technology_popularity.yaml"
OVER_TIME = "dashboards/charts/technology_clicks_over_time.yaml"
DATABASE = "datasets/databases/Clickstream.yaml"
DASHBOARD = "dashboards/dashboards/technology_popularity.yaml"


def copy_tree(destination: Path) -> Path:
    """A copy of the repository's asset tree to break."""
    for folder in ("datasets", "dashboards"):
        shutil.copytree(REPO / folder, destination / folder)
    return destination


def edit(root: Path, relative: str, change) -> None:
    path = root / relative
    document = yaml.load(path.read_text(), Loader=AssetLoader)
    change(document)
    path.write_text(dump_yaml(document))


def test_the_repository_tree_is_valid() -> None:
    result = run_cli("validate", ".", check=False)
    assert result.returncode == 0, result.stderr[-4000:]
    assert "asset files valid for targets duckdb, druid" in result.stderr


@pytest.fixture(scope="module")
def broken(tmp_path_factory) -> str:
    """Validation output of a tree with one of each kind of mistake."""
    root = copy_tree(tmp_path_factory.mktemp("broken"))
    (root / "dashboards/charts/malformed.yaml").write_text("slice_name: [unclosed\n  viz_type: pie\n")
    edit(root, DONUT, lambda d: d.update(slice_nmae="typo"))
    edit(root, DONUT, lambda d: d["params"].update(metric="no_such_metric"))
    edit(root, OVER_TIME, lambda d: (d.pop("viz_type"), d.update(dataset_uuid="00000000-0000-4000-8000-000000000001")))
    edit(root, DASHBOARD, lambda d: d["position"]["CHART-1-1"]["meta"].update(uuid="00000000-0000-4000-8000-000000000002"))
    shutil.copy(root / DONUT, root / "dashboards/charts/copy_of_donut.yaml")
    edit(root, DATABASE, lambda d: d.update(sqlalchemy_uri="druid://admin:hunter2secret@127.0.0.1:8082/druid/v2/sql/"))
    result = run_cli("validate", str(root), check=False)
    assert result.returncode != 0
    return result.stderr


@pytest.mark.parametrize(("file", "field", "words"), [
    ("malformed.yaml", "line 2", "malformed YAML"),
    ("technology_popularity.yaml", "slice_nmae", "Unknown field"),
    ("technology_clicks_over_time.yaml", "viz_type", "Missing data for required field"),
    ("technology_clicks_over_time.yaml", "dataset_uuid", "no dataset has uuid 00000000-0000-4000-8000-000000000001"),
    ("technology_popularity.yaml", "params.metric", "metric 'no_such_metric' does not exist in dataset 'clickstream'"),
    ("dashboards/technology_popularity.yaml", "position.CHART-1-1.meta.uuid", "no chart has uuid 00000000-0000-4000-8000-000000000002"),
    ("copy_of_donut.yaml", "uuid", "is also used by"),
    ("Clickstream.yaml", "sqlalchemy_uri", "the URI contains a password"),
])
def test_each_mistake_is_reported_with_file_field_and_fix(broken: str, file: str, field: str, words: str) -> None:
    assert_reported(broken, file, field, words)


def assert_reported(output: str, file: str, field: str, words: str) -> None:
    """``validate``'s output names ``file`` and ``field`` with ``words`` on one line, and a fix on the next."""
    lines = output.splitlines()
    hits = [index for index, line in enumerate(lines) if file in line and field in line and words in line]
    assert hits, f"no report of {words!r} at {file}: {field} in:\n{output[-6000:]}"
    assert lines[hits[0] + 1].strip().startswith("fix:"), "every problem says how to fix it"


def test_validation_fails_when_a_chart_uses_a_column_the_dataset_lacks(tmp_path: Path) -> None:
    root = copy_tree(tmp_path)
    edit(root, OVER_TIME, lambda d: d["params"].update(groupby=["no_such_column"]))
    edit(root, DONUT, lambda d: d["params"].update(order_by_cols=['["no_sort_column", true]', '["technology", false]']))
    result = run_cli("validate", str(root), check=False)
    assert result.returncode != 0
    assert "params.groupby: column 'no_such_column' does not exist in dataset 'clickstream'" in result.stderr
    assert "params.order_by_cols: column 'no_sort_column' does not exist" in result.stderr
    assert "'technology' does not exist" not in result.stderr
