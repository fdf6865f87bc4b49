"""A wheel built from a clean copy of the sources ships the bundle and serves it.

The bundle is committed, so ``pip install`` needs no npm: this builds the
wheel as a user's pip would, installs it into an empty target folder, and
serves the bundle from that installed copy (not the editable checkout).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

from superset_divolte.viz_plugins import PLUGINS, read_bundle

from .harness import REPO_ROOT

# Runs in a fresh interpreter whose path starts with the installed copy.
SERVE_FROM_INSTALLED = """
import json, sys
from flask import Flask
import superset_divolte.viz_plugins as viz_plugins
app = Flask("wheel-check")
app.register_blueprint(viz_plugins.blueprint)
client = app.test_client()
out = {"module": viz_plugins.__file__, "bundles": {}}
for plugin in viz_plugins.PLUGINS:
    response = client.get("/divolte-viz-plugins/" + plugin.bundle)
    out["bundles"][plugin.bundle] = {
        "status": response.status_code,
        "mimetype": response.mimetype,
        "body": response.get_data().decode("utf-8"),
    }
print(json.dumps(out))
"""


def _clean_source_copy(target: Path) -> Path:
    """The files a source distribution would have, without build leftovers."""
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info", "*.pyc")
    target.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(REPO_ROOT / name, target / name)
    shutil.copytree(REPO_ROOT / "superset_divolte", target / "superset_divolte", ignore=ignore)
    return target


def _pip(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "pip", *args], check=True, timeout=600, capture_output=True)


def test_wheel_contains_and_serves_the_bundles(tmp_path: Path) -> None:
    source = _clean_source_copy(tmp_path / "source")
    dist = tmp_path / "dist"
    _pip("wheel", "--no-deps", "--quiet", "-w", str(dist), str(source))
    (wheel,) = dist.glob("superset_divolte-*.whl")

    with zipfile.ZipFile(wheel) as archive:
        for plugin in PLUGINS:
            member = f"superset_divolte/viz_plugins/bundles/{plugin.bundle}"
            assert archive.read(member) == read_bundle(plugin)
        # The Druid supervisor spec and versions live once, in stack/druid; wheels carry them too.
        for name in ("clickstream-supervisor.json", "versions.env"):
            assert archive.read(f"superset_divolte/stack_druid/{name}") == (REPO_ROOT / "stack/druid" / name).read_bytes()

    site = tmp_path / "site"
    _pip("install", "--no-deps", "--no-index", "--quiet", "--target", str(site), str(wheel))
    result = subprocess.run(
        [sys.executable, "-c", SERVE_FROM_INSTALLED],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(site)},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    served = json.loads(result.stdout.strip().splitlines()[-1])
    assert Path(served["module"]).is_relative_to(site), served["module"]
    for plugin in PLUGINS:
        bundle = served["bundles"][plugin.bundle]
        assert bundle["status"] == 200
        assert bundle["mimetype"] == "application/javascript"
        assert bundle["body"].encode("utf-8") == read_bundle(plugin)
