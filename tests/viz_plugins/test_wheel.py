"""A wheel built from a clean copy of the sources ships the bundle and serves it.

The bundle is committed, so ``pip install`` needs no npm: this builds the
wheel as a user's pip would, installs it into an empty target folder, and
serves the bundle from that installed copy (not the editable checkout).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

from superset_divolte.viz_plugins import PLUGINS, read_bundle
from wheel_build import build_wheel, pip

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


def test_wheel_contains_and_serves_the_bundles(tmp_path: Path) -> None:
    wheel = build_wheel(tmp_path)

    with zipfile.ZipFile(wheel) as archive:
        for plugin in PLUGINS:
            member = f"superset_divolte/viz_plugins/bundles/{plugin.bundle}"
            assert archive.read(member) == read_bundle(plugin)
        # The Druid supervisor spec and versions live once, in stack/druid; wheels carry them too.
        for name in ("clickstream-supervisor.json", "versions.env"):
            assert archive.read(f"superset_divolte/stack_druid/{name}") == (REPO_ROOT / "stack/druid" / name).read_bytes()

    site = tmp_path / "site"
    pip("install", "--no-deps", "--no-index", "--quiet", "--target", str(site), str(wheel))
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
