"""Exporting Superset's assets back into the tree: round trips, minimal diffs, tags, secrets.

Most tests provision a fresh sample tree into one real Superset 6.1.0 (through
``/api/v1/assets/import/``, the same ``ImportAssetsCommand`` local provisioning
runs), change something through the REST API as the UI would, and export.
"""

from __future__ import annotations

import difflib
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any, Iterator

import pytest
import yaml

from superset_divolte.assets import AssetLoader, EnvString, TargetChoice, dump_yaml, load_tree
from superset_divolte.bundle import build_bundle, zip_bytes
from superset_divolte.export import ExportReport, export_tree, normalise
from superset_divolte.superset_client import SupersetClient
from superset_server import SampleTree, SupersetServer, write_sample_tree

TARGET = "duckdb"
SECRET = "s3cret-Passw0rd"


@pytest.fixture
def client(superset_server: SupersetServer) -> Iterator[SupersetClient]:
    """A client logged in as the test admin."""
    with SupersetClient(superset_server.base_url, superset_server.username, superset_server.password) as client:
        yield client


def provision(sample: SampleTree, client: SupersetClient, environment: dict[str, str] | None = None) -> None:
    """Import the tree's bundle for the duckdb target, passwords beside the ZIP."""
    bundle = build_bundle(load_tree(sample.root), TARGET, environment or {})
    client.import_assets(zip_bytes(bundle), bundle.passwords)


@pytest.fixture
def sample(tmp_path: Path, client: SupersetClient) -> SampleTree:
    """A fresh sample tree, provisioned."""
    tree = write_sample_tree(tmp_path / "tree")
    provision(tree, client)
    return tree


def export_into_copy(sample: SampleTree, contents: dict[str, str], out: Path,
                     environment: dict[str, str] | None = None) -> ExportReport:
    """Export into a copy of the tree, leaving the tree itself as provisioned."""
    shutil.copytree(sample.root, out)
    return export_tree(contents, load_tree(sample.root), TARGET, out, environment or {})


def tree_files(root: Path) -> dict[str, bytes]:
    """Every YAML file under ``root`` by relative path."""
    return {path.relative_to(root).as_posix(): path.read_bytes() for path in sorted(root.rglob("*.yaml"))}


def changed_lines(before: Path, after: Path) -> list[str]:
    """The -/+ lines of a unified diff between two files."""
    diff = difflib.unified_diff(before.read_text().splitlines(), after.read_text().splitlines(), lineterm="", n=0)
    return [line for line in diff if line[:1] in "+-" and not line.startswith(("+++", "---"))]


def assert_only_foreign_additions(report: ExportReport, sample: SampleTree, out: Path) -> None:
    """Files added by the export belong to other tests' objects, never to this tree's."""
    ours = {sample.database, sample.dataset, sample.pie_chart, sample.table_chart, sample.dashboard}
    for relative in report.added:
        assert str(load((out / relative).read_text())["uuid"]) not in ours, relative


def test_provision_then_export_gives_back_the_same_files(sample: SampleTree, client: SupersetClient,
                                                         tmp_path: Path) -> None:
    out = tmp_path / "out"
    report = export_into_copy(sample, client.export_assets(), out)
    assert report.changed == [] and report.missing == []
    assert len(report.unchanged) == 5
    originals = tree_files(sample.root)
    assert {path: tree_files(out)[path] for path in originals} == originals
    assert_only_foreign_additions(report, sample, out)


def test_title_edit_through_rest_is_a_one_line_diff(sample: SampleTree, client: SupersetClient,
                                                    tmp_path: Path) -> None:
    client.update_chart(client.find_id("chart", sample.pie_chart), {"slice_name": "Pages by visits"})
    out = tmp_path / "out"
    report = export_into_copy(sample, client.export_assets(), out)
    assert report.changed == ["dashboards/charts/pages.yaml"]
    assert changed_lines(sample.file("dashboards/charts/pages.yaml"), out / "dashboards/charts/pages.yaml") == [
        "-slice_name: Pages", "+slice_name: Pages by visits"]
    assert_only_foreign_additions(report, sample, out)


REPOSITORY = Path(__file__).resolve().parents[1]
TREE_FOLDERS = ("datasets", "dashboards")


def test_the_repository_tree_round_trips_for_every_target(tmp_path: Path, client: SupersetClient) -> None:
    root = tmp_path / "tree"
    for folder in TREE_FOLDERS:
        shutil.copytree(REPOSITORY / folder, root / folder)
    tree = load_tree(root)
    uuids = {str(file.document["uuid"]) for file in tree.files}
    environment = {"SUPERSET_DIVOLTE_DUCKDB": str(tmp_path / "clickstream.duckdb")}
    # One target after the other into the same objects: each export must give back the same files.
    for target in ("druid", "duckdb"):
        bundle = build_bundle(tree, target, environment)
        client.import_assets(zip_bytes(bundle), bundle.passwords)
        out = tmp_path / f"out-{target}"
        shutil.copytree(root, out)
        report = export_tree(client.export_assets(), tree, target, out, environment)
        assert report.changed == [] and report.missing == [], target
        assert {path: tree_files(out)[path] for path in tree_files(root)} == tree_files(root), target
        assert not [path for path in report.added
                    if str(load((out / path).read_text())["uuid"]) in uuids], target


def test_a_changed_uri_updates_only_this_targets_entry(sample: SampleTree, client: SupersetClient,
                                                       tmp_path: Path) -> None:
    moved = sample.root / "moved.duckdb"
    shutil.copy(sample.root / "events.duckdb", moved)
    database_id = client.find_id("database", sample.database)
    client.request("PUT", f"/api/v1/database/{database_id}", json={"sqlalchemy_uri": f"duckdb:///{moved}"})
    out = tmp_path / "out"
    report = export_into_copy(sample, client.export_assets(), out)
    assert report.changed == ["datasets/databases/analytics.yaml"]
    document = yaml.load((out / "datasets/databases/analytics.yaml").read_text(), Loader=AssetLoader)
    assert document["sqlalchemy_uri"] == TargetChoice({
        "duckdb": f"duckdb:///{moved}",
        "druid": EnvString("druid://${DRUID_HOST:-127.0.0.1}:${DRUID_BROKER_PORT:-8082}/druid/v2/sql/")})
    assert len(changed_lines(sample.file("datasets/databases/analytics.yaml"),
                             out / "datasets/databases/analytics.yaml")) == 2


def test_a_new_chart_gets_a_file_and_the_dashboard_keeps_its_own_ids(sample: SampleTree, client: SupersetClient,
                                                                     tmp_path: Path) -> None:
    dataset_id = client.find_id("dataset", sample.dataset)
    created = client.request("POST", "/api/v1/chart/", json={
        "slice_name": "Total", "viz_type": "big_number_total", "datasource_id": dataset_id,
        "datasource_type": "table", "params": json.dumps({"metric": "total", "viz_type": "big_number_total"}),
    }).json()
    chart_uuid = next(row["uuid"] for row in client.list_objects("chart") if row["id"] == created["id"])
    add_to_dashboard(client, client.find_id("dashboard", sample.dashboard), created["id"], chart_uuid)

    out = tmp_path / "out"
    report = export_into_copy(sample, client.export_assets(), out)
    new_file = f"dashboards/charts/Total_{created['id']}.yaml"
    assert new_file in report.added
    assert yaml.safe_load((out / new_file).read_text()) == {
        "dataset_uuid": sample.dataset, "params": {"metric": "total", "viz_type": "big_number_total"},
        "slice_name": "Total", "uuid": chart_uuid, "viz_type": "big_number_total"}
    assert report.changed == ["dashboards/dashboards/overview.yaml"]
    dashboard = yaml.safe_load((out / "dashboards/dashboards/overview.yaml").read_text())
    # The file's ids (101, 102) stay; the new chart takes the next one, wherever it is referenced.
    assert dashboard["position"]["CHART-pages"]["meta"]["chartId"] == 101
    assert dashboard["position"]["CHART-total"]["meta"] == {
        "chartId": 103, "height": 50, "sliceName": "Total", "uuid": chart_uuid, "width": 4}
    assert dashboard["metadata"]["timed_refresh_immune_slices"] == [102, 103]


def add_to_dashboard(client: SupersetClient, dashboard_id: int, chart_id: int, chart_uuid: str) -> None:
    """Put a chart in the dashboard's first row and exempt it from refresh, as a save from the UI does."""
    dashboard = client.get_json(f"/api/v1/dashboard/{dashboard_id}")["result"]
    position, metadata = json.loads(dashboard["position_json"]), json.loads(dashboard["json_metadata"])
    position["CHART-total"] = {"children": [], "id": "CHART-total", "type": "CHART",
                               "parents": ["ROOT_ID", "GRID_ID", "ROW-1"],
                               "meta": {"chartId": chart_id, "height": 50, "sliceName": "Total",
                                        "uuid": chart_uuid, "width": 4}}
    position["ROW-1"]["children"].append("CHART-total")
    metadata["timed_refresh_immune_slices"].append(chart_id)
    client.request("PUT", f"/api/v1/dashboard/{dashboard_id}",
                   json={"position_json": json.dumps(position), "json_metadata": json.dumps(metadata)})


def test_database_passwords_stay_in_the_environment(tmp_path: Path, client: SupersetClient) -> None:
    sample = write_sample_tree(tmp_path / "tree")
    secured = sample.file("datasets/databases/secured.yaml")
    secured.write_text(dump_yaml({
        "database_name": f"{sample.database_name}_secured", "uuid": "5d1c1e64-0000-4000-8000-" + sample.dataset[-12:],
        "extra": {}, "sqlalchemy_uri": TargetChoice({
            "duckdb": EnvString("druid://analyst:${SECURED_PASSWORD}@127.0.0.1:9/druid/v2/sql/"),
            "druid": EnvString("druid://analyst:${SECURED_PASSWORD}@${DRUID_HOST:-127.0.0.1}:8082/druid/v2/sql/")})}))
    environment = {"SECURED_PASSWORD": SECRET}
    provision(sample, client, environment)
    contents = client.export_assets()
    assert not any(SECRET in text for text in contents.values())

    out = tmp_path / "out"
    report = export_into_copy(sample, contents, out, environment)
    assert "datasets/databases/secured.yaml" in report.unchanged
    assert (out / "datasets/databases/secured.yaml").read_bytes() == secured.read_bytes()
    # Without the variable set, the exported (masked) URI still matches the !env form.
    again = export_tree(contents, load_tree(sample.root), TARGET, tmp_path / "out2", {})
    assert "datasets/databases/secured.yaml" in again.unchanged
    assert (tmp_path / "out2/datasets/databases/secured.yaml").read_bytes() == secured.read_bytes()
    assert not any(SECRET in path.read_text() for path in out.rglob("*.yaml"))


EXPORT_LOCAL_SCRIPT = """
import json, sys
from superset_divolte.export import export_local
from superset_divolte.superset_app import create_superset_app
json.dump(export_local(create_superset_app()), sys.stdout)
"""


def export_in_process(server: SupersetServer) -> dict[str, str]:
    """``export_local`` on the server's home, in a child process: Superset binds one home per process."""
    result = subprocess.run([sys.executable, "-c", EXPORT_LOCAL_SCRIPT], env=server.environment,
                            capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stderr[-4000:]
    return json.loads(result.stdout.splitlines()[-1])


def test_export_local_gives_what_the_rest_api_gives(sample: SampleTree, client: SupersetClient,
                                                    superset_server: SupersetServer, tmp_path: Path) -> None:
    local = export_in_process(superset_server)
    remote = client.export_assets()
    # Only the export's timestamp differs.
    assert {path: text for path, text in local.items() if path != "metadata.yaml"} == {
        path: text for path, text in remote.items() if path != "metadata.yaml"}
    report = export_into_copy(sample, local, tmp_path / "out")
    assert report.changed == [] and len(report.unchanged) == 5


def test_writing_is_all_or_nothing(sample: SampleTree, client: SupersetClient, tmp_path: Path) -> None:
    client.update_chart(client.find_id("chart", sample.pie_chart), {"slice_name": "Pages by visits"})
    database_id = client.find_id("database", sample.database)
    client.request("PUT", f"/api/v1/database/{database_id}", json={"expose_in_sqllab": False})
    out = tmp_path / "out"
    shutil.copytree(sample.root, out)
    # The database file cannot be written: its folder is now a plain file.
    shutil.rmtree(out / "datasets/databases")
    (out / "datasets/databases").write_text("in the way\n")
    before = tree_files(out)
    with pytest.raises(OSError):
        export_tree(client.export_assets(), load_tree(sample.root), TARGET, out, {})
    assert tree_files(out) == before
    assert not list(out.glob(".export-*")), "no scratch folder is left behind"


# --- normalisation rules, on documents shaped like Superset's export (no server needed) -------------------

DATABASE_EXPORT: dict[str, Any] = {
    "database_name": "analytics", "sqlalchemy_uri": "druid://analyst:XXXXXXXXXX@broker:8082/druid/v2/sql/",
    "cache_timeout": None, "expose_in_sqllab": True, "allow_run_async": False, "allow_ctas": False,
    "allow_cvas": False, "allow_dml": False, "allow_csv_upload": True, "extra": {}, "impersonate_user": False,
    "configuration_method": "sqlalchemy_form", "uuid": "2b9f6d2e-6a7b-4f0e-9a55-000000000001", "version": "1.0.0",
}


def load(text: str) -> dict[str, Any]:
    """A tree document from YAML with tags."""
    return yaml.load(text, Loader=AssetLoader)


def test_defaults_the_tree_does_not_state_are_dropped_and_stated_ones_kept() -> None:
    tree = load("database_name: analytics\nuuid: 2b9f6d2e-6a7b-4f0e-9a55-000000000001\nallow_dml: false\n"
                "sqlalchemy_uri: druid://analyst:XXXXXXXXXX@broker:8082/druid/v2/sql/\n")
    assert normalise("databases", DATABASE_EXPORT, tree, "druid", {}) == {
        "allow_dml": False, "database_name": "analytics", "extra": {},
        "sqlalchemy_uri": "druid://analyst:XXXXXXXXXX@broker:8082/druid/v2/sql/",
        "uuid": "2b9f6d2e-6a7b-4f0e-9a55-000000000001"}


def test_tags_stay_when_they_resolve_to_the_exported_value() -> None:
    tree = load('database_name: analytics\nuuid: 2b9f6d2e-6a7b-4f0e-9a55-000000000001\nextra: {}\n'
                'sqlalchemy_uri: !target\n  duckdb: duckdb:////data/x.duckdb\n'
                '  druid: !env "druid://analyst:${PASSWORD}@${DRUID_HOST:-localhost}:8082/druid/v2/sql/"\n')
    assert normalise("databases", DATABASE_EXPORT, tree, "druid", {"DRUID_HOST": "broker"}) == tree
    # Resolved for this environment the host differs: only the druid entry changes, to the plain value.
    changed = normalise("databases", DATABASE_EXPORT, tree, "druid", {})
    assert changed["sqlalchemy_uri"] == TargetChoice({
        "duckdb": "duckdb:////data/x.duckdb", "druid": "druid://analyst:XXXXXXXXXX@broker:8082/druid/v2/sql/"})


def test_rows_keep_the_trees_order_and_new_rows_follow_by_name() -> None:
    tree = load("table_name: t\nuuid: u\ncolumns:\n- column_name: b\n- column_name: a\n  is_dttm: true\n")
    exported = {"table_name": "t", "uuid": "u", "offset": 0, "filter_select_enabled": True, "columns": [
        {"column_name": name, "is_dttm": name == "a", "is_active": True, "groupby": True, "filterable": True,
         "type": None} for name in ("d", "a", "c", "b")]}
    assert normalise("datasets", exported, tree, TARGET, {})["columns"] == [
        {"column_name": "b"}, {"column_name": "a", "is_dttm": True}, {"column_name": "c"}, {"column_name": "d"}]


def test_old_export_spellings_follow_the_trees_spelling() -> None:
    tree = load("database_name: analytics\nuuid: 2b9f6d2e-6a7b-4f0e-9a55-000000000001\nallow_file_upload: false\n"
                "extra:\n  schemas_allowed_for_file_upload: []\n"
                "sqlalchemy_uri: druid://analyst:XXXXXXXXXX@broker:8082/druid/v2/sql/\n")
    exported = {**DATABASE_EXPORT, "extra": {"schemas_allowed_for_csv_upload": ["uploads"]}}
    document = normalise("databases", exported, tree, TARGET, {})
    assert document["allow_file_upload"] is True and "allow_csv_upload" not in document
    assert document["extra"] == {"schemas_allowed_for_file_upload": ["uploads"]}
