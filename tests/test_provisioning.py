"""Provisioning: the bundle, the official importer, idempotence, edits in place, all or nothing, REST."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO, TEST_PASSWORD, run_cli
from home_tools import inventory, run_in_home
from superset_divolte.superset_app import SupersetHome
from superset_divolte.superset_client import SupersetAuthenticationError, SupersetClient
from superset_server import home_environment, initialize_home, running_superset
from test_validate import DONUT, copy_tree, edit

SUPERSET_CLI = Path(sys.executable).with_name("superset")


def fresh_home(folder: Path) -> dict[str, str]:
    """A migrated Superset home with the admin; returns its environment."""
    home = SupersetHome(folder / "home")
    environment = home_environment(home)
    environment["SUPERSET_DIVOLTE_DUCKDB"] = str(folder / "clickstream.duckdb")
    initialize_home(home, TEST_PASSWORD, environment, folder / "init.log")
    return environment


def provision(environment: dict[str, str], assets: Path = REPO, target: str = "duckdb") -> str:
    result = run_cli("provision", "--target", target, "--assets", str(assets),
                     "--home", environment["SUPERSET_HOME"], env=environment)
    return result.stdout


def comparable(objects: dict) -> dict:
    """Objects without row ids: what two different environments should agree on."""
    return {uuid: {"kind": item["kind"], "document": _without_ids(item["document"])} for uuid, item in objects.items()}


def _without_ids(value):
    if isinstance(value, dict):
        return {k: _without_ids(v) for k, v in value.items() if k not in ("chartId", "datasource", "id", "query_context")}
    if isinstance(value, list):
        return [_without_ids(v) for v in value]
    return value


@pytest.fixture(scope="module")
def provisioned(tmp_path_factory) -> tuple[dict[str, str], str, dict]:
    """A home provisioned once from the repository's tree: its environment, the output, its objects."""
    environment = fresh_home(tmp_path_factory.mktemp("provisioned"))
    output = provision(environment)
    return environment, output, inventory(environment)


def test_bundle_is_byte_for_byte_stable(tmp_path: Path) -> None:
    run_cli("bundle", "--target", "duckdb", "-o", str(tmp_path / "a.zip"))
    run_cli("bundle", "--target", "duckdb", "-o", str(tmp_path / "b.zip"))
    assert (tmp_path / "a.zip").read_bytes() == (tmp_path / "b.zip").read_bytes()


def test_official_import_dashboards_gives_the_same_objects_as_provision(tmp_path: Path, provisioned) -> None:
    environment = fresh_home(tmp_path)
    environment["SUPERSET_DIVOLTE_DUCKDB"] = provisioned[0]["SUPERSET_DIVOLTE_DUCKDB"]
    run_cli("bundle", "--target", "duckdb", "-o", str(tmp_path / "assets.zip"), env=environment)
    imported = subprocess.run([str(SUPERSET_CLI), "import-dashboards", "-p", str(tmp_path / "assets.zip"), "-u", "admin"],
                              env=environment, capture_output=True, text=True, timeout=600, check=False)
    assert imported.returncode == 0, imported.stderr[-3000:]
    assert comparable(inventory(environment)) == comparable(provisioned[2])


def test_first_provision_creates_every_object(provisioned) -> None:
    _, output, objects = provisioned
    assert f"created {len(objects)}, updated 0, unchanged 0" in output
    kinds = sorted({item["kind"] for item in objects.values()})
    assert kinds == ["charts", "dashboards", "databases", "datasets"]


def test_second_provision_changes_nothing(provisioned) -> None:
    environment, _, before = provisioned
    output = provision(environment)
    assert f"created 0, updated 0, unchanged {len(before)}" in output
    assert inventory(environment) == before


def test_edited_title_updates_that_chart_in_place_and_nothing_else(tmp_path: Path, provisioned) -> None:
    environment, _, before = provisioned
    tree = copy_tree(tmp_path / "tree")
    edit(tree, DONUT, lambda document: document.update(slice_name="Technology popularity, edited"))
    output = provision(environment, tree)
    assert "created 0, updated 1," in output and "updated   chart 'Technology popularity, edited'" in output
    after = inventory(environment)
    changed = {uuid for uuid in before if before[uuid] != after[uuid]}
    donut_uuid = next(uuid for uuid, item in after.items() if item["document"].get("slice_name", "").endswith("edited"))
    assert changed <= {donut_uuid} | {uuid for uuid, item in after.items() if item["kind"] == "dashboards"}
    assert after[donut_uuid]["id"] == before[donut_uuid]["id"]
    assert {k: v for k, v in after[donut_uuid]["document"].items() if k != "slice_name"} == \
        {k: v for k, v in before[donut_uuid]["document"].items() if k != "slice_name"}
    provision(environment)
    assert inventory(environment) == before


def test_a_failure_half_way_leaves_the_target_unchanged(provisioned) -> None:
    environment, _, before = provisioned
    result = run_in_home(environment, "provision-raw", str(REPO), "duckdb")
    assert result.returncode == 0, result.stderr[-3000:]
    assert "ProvisionError: import failed, nothing was changed" in result.stdout
    assert inventory(environment) == before


def test_remote_provisioning_needs_the_right_password(tmp_path: Path) -> None:
    with running_superset(tmp_path, TEST_PASSWORD) as server:
        environment = {**server.environment, "SUPERSET_DIVOLTE_DUCKDB": str(tmp_path / "clickstream.duckdb"),
                       "SUPERSET_DIVOLTE_PASSWORD": "wrong-password"}
        wrong = run_cli("provision", "--superset-url", server.base_url, env=environment, check=False)
        assert wrong.returncode != 0
        assert f"login to Superset at {server.base_url} as admin failed" in wrong.stderr
        environment["SUPERSET_DIVOLTE_PASSWORD"] = TEST_PASSWORD
        first = run_cli("provision", "--superset-url", server.base_url, env=environment)
        again = run_cli("provision", "--superset-url", server.base_url, env=environment)
        client = SupersetClient(server.base_url, server.username, server.password)
        client.login()
        charts = client.list_objects("chart")
        with pytest.raises(SupersetAuthenticationError):
            SupersetClient(server.base_url, server.username, "nope").login()
    assert "updated 0, unchanged 0" in first.stdout and "created 0, updated 0" in again.stdout
    assert any(chart["name"] == "Technology popularity" for chart in charts)


def test_commands_are_also_superset_subcommands(provisioned) -> None:
    environment = provisioned[0]
    result = subprocess.run([str(SUPERSET_CLI), "divolte", "validate", str(REPO)], env=environment,
                            capture_output=True, text=True, timeout=600, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "asset files valid for targets duckdb, druid" in result.stderr
