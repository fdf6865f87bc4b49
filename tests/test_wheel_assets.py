"""The wheel on its own: installed into a fresh venv with no source tree, it validates, bundles and provisions.

The venv reuses the dependencies installed in this interpreter's site-packages through a
``.pth`` line (no download of Superset again). A plain path line adds that folder but runs
none of its ``.pth`` files, so the editable install of the checkout stays out: the
``superset_divolte`` imported is the wheel's (checked).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import pytest
import yaml

from conftest import REPO, TEST_PASSWORD
from home_tools import inventory
from superset_divolte.assets import asset_sources, load_tree
from superset_divolte.bundle import build_bundle, write_zip
from wheel_build import build_wheel

TELEMETRY_HOSTS = ("scarf.sh",)
"""Superset 6.1.0's telemetry pixel host (apachesuperset.gateway.scarf.sh) and its image CDN."""

INITIALIZE_HOME = """
import sys
from pathlib import Path
from superset_divolte.superset_app import SupersetHome, create_superset_app, ensure_admin, initialize
home = SupersetHome(Path(sys.argv[1]))
home.prepare_environment()
app = create_superset_app()
initialize(home, app)
ensure_admin(app, sys.argv[2])
"""

SERVE_LOGIN_PAGE = """
import json
from superset_divolte.superset_app import create_superset_app
client = create_superset_app().test_client()
response = client.get("/login/")
print(json.dumps({"status": response.status_code, "headers": dict(response.headers),
                  "body": response.get_data(as_text=True)}))
"""


@dataclass(frozen=True)
class FreshVenv:
    """A venv in a temporary folder holding only the wheel, and an empty working folder."""

    python: Path
    cli: Path
    workdir: Path

    def environment(self, **extra: str) -> dict[str, str]:
        """This process's environment without anything pointing at the checkout or another home."""
        dropped = ("PYTHONPATH", "SUPERSET_HOME", "SUPERSET_CONFIG_PATH", "SUPERSET_SECRET_KEY",
                   "SUPERSET_DIVOLTE_METADATA_URI", "SUPERSET_DIVOLTE_DUCKDB", "VIRTUAL_ENV")
        environment = {key: value for key, value in os.environ.items() if key not in dropped}
        return {**environment, "PYTHONUNBUFFERED": "1", **extra}

    def run(self, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(arg) for arg in args], cwd=self.workdir, env=env or self.environment(),
                              capture_output=True, text=True, timeout=600, check=False)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_wheel(tmp_path_factory.mktemp("wheel"))


@pytest.fixture(scope="module")
def venv(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> FreshVenv:
    folder = tmp_path_factory.mktemp("fresh")
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(folder / "venv")], check=True, timeout=120)
    python = folder / "venv" / "bin" / "python"
    own_site = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                                   capture_output=True, text=True, check=True).stdout.strip())
    (own_site / "installed-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--no-index", "--ignore-installed",
                    "--quiet", str(wheel)], check=True, timeout=300, capture_output=True)
    workdir = folder / "work"
    workdir.mkdir()
    return FreshVenv(python, folder / "venv" / "bin" / "superset-divolte", workdir)


def test_the_wheel_carries_the_asset_tree(wheel: Path) -> None:
    expected = {f"superset_divolte/asset_tree/{source.relative_to(REPO)}": source.read_bytes()
                for source, _ in asset_sources(REPO)}
    with zipfile.ZipFile(wheel) as archive:
        packaged = {name: archive.read(name) for name in archive.namelist()
                    if name.startswith("superset_divolte/asset_tree/")}
    assert len(expected) >= 40
    assert packaged == expected


def test_the_wheels_package_is_imported_with_no_source_tree(venv: FreshVenv) -> None:
    result = venv.run(venv.python, "-c", "import superset_divolte.assets as a; print(a.__file__); "
                                         "print(a.PACKAGED_TREE.resolve())")
    assert result.returncode == 0, result.stderr
    module, tree = result.stdout.split()
    assert Path(module).is_relative_to(venv.python.parent.parent)
    assert Path(tree).is_relative_to(venv.python.parent.parent)
    assert not list(venv.workdir.iterdir())


def test_validate_and_bundle_use_the_packaged_tree(venv: FreshVenv, tmp_path: Path) -> None:
    validated = venv.run(venv.cli, "validate")
    assert validated.returncode == 0, validated.stderr[-3000:]
    assert f"{len(list(asset_sources(REPO)))} asset files valid" in validated.stderr

    bundled = venv.run(venv.cli, "bundle", "--target", "druid", "-o", "druid.zip")
    assert bundled.returncode == 0, bundled.stderr[-3000:]
    expected = tmp_path / "expected.zip"
    write_zip(build_bundle(load_tree(REPO), "druid"), expected)
    assert (venv.workdir / "druid.zip").read_bytes() == expected.read_bytes()


def test_assets_still_points_at_a_users_own_tree(venv: FreshVenv, tmp_path: Path) -> None:
    own = tmp_path / "my-tree"
    shutil.copytree(REPO / "datasets", own / "datasets")
    result = venv.run(venv.cli, "bundle", "--target", "duckdb", "--assets", own, "-o", "mine.zip")
    assert result.returncode == 0, result.stderr[-3000:]
    assert f"({len(list(asset_sources(own)))} assets, target duckdb)" in result.stderr
    assert len(list(asset_sources(own))) < len(list(asset_sources(REPO)))

    (own / "datasets").rename(own / "elsewhere")
    missing = venv.run(venv.cli, "bundle", "--target", "duckdb", "--assets", own / "nothing", "-o", "none.zip")
    assert missing.returncode == 2 and "no asset files found" in missing.stderr
    assert "Traceback" not in missing.stderr and not (venv.workdir / "none.zip").exists()


@pytest.fixture(scope="module")
def provisioned_home(venv: FreshVenv) -> Iterator[tuple[dict[str, str], str]]:
    home = venv.workdir.parent / "home"
    environment = venv.environment(SUPERSET_DIVOLTE_DUCKDB=str(home / "clickstream.duckdb"))
    initialized = venv.run(venv.python, "-c", INITIALIZE_HOME, home, TEST_PASSWORD, env=environment)
    assert initialized.returncode == 0, initialized.stderr[-3000:]
    provisioned = venv.run(venv.cli, "provision", "--target", "duckdb", "--home", home, env=environment)
    assert provisioned.returncode == 0, provisioned.stderr[-3000:]
    home_environment = {**environment, "SUPERSET_HOME": str(home),
                        "SUPERSET_CONFIG_PATH": str(home / "superset_config.py"),
                        "SUPERSET_DIVOLTE_METADATA_URI": f"sqlite:///{home / 'superset.db'}",
                        "SUPERSET_SECRET_KEY": (home / "secret_key").read_text().strip()}
    yield home_environment, provisioned.stdout


def test_provision_fills_a_fresh_home_with_every_asset_of_the_packaged_tree(
        provisioned_home: tuple[dict[str, str], str]) -> None:
    environment, output = provisioned_home
    expected = {str(yaml.load(source.read_text(), Loader=yaml.BaseLoader)["uuid"]) for source, _ in asset_sources(REPO)}
    assert f"created {len(expected)}, updated 0, unchanged 0" in output.splitlines()
    # Read back by a Superset of the checkout: the home holds exactly the tree's objects.
    found = inventory({**environment, "PYTHONPATH": str(REPO)})
    assert set(found) == expected


def test_served_pages_do_not_reference_the_telemetry_host(
        venv: FreshVenv, provisioned_home: tuple[dict[str, str], str]) -> None:
    environment, _ = provisioned_home
    result = venv.run(venv.python, "-c", SERVE_LOGIN_PAGE, env=environment)
    assert result.returncode == 0, result.stderr[-3000:]
    page = json.loads(result.stdout.strip().splitlines()[-1])
    assert page["status"] == 200
    policy = page["headers"]["Content-Security-Policy"]
    assert "img-src 'self' blob: data:" in policy
    served = policy + page["body"] + " ".join(page["headers"].values())
    assert not [host for host in TELEMETRY_HOSTS if host in served]
