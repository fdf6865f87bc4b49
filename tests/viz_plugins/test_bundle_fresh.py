"""The committed bundle must be exactly what the committed sources build to."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from pathlib import Path

from superset_divolte.viz_plugins import PLUGINS, read_bundle


def test_committed_bundles_match_a_fresh_build(node_modules: Path, tmp_path: Path) -> None:
    node = shutil.which("node")
    assert node, "node is required"
    subprocess.run(
        [node, "scripts/build.mjs", "--outdir", str(tmp_path)],
        cwd=node_modules,
        check=True,
        timeout=300,
    )
    for plugin in PLUGINS:
        fresh = hashlib.sha256((tmp_path / plugin.bundle).read_bytes()).hexdigest()
        committed = hashlib.sha256(read_bundle(plugin)).hexdigest()
        assert committed == fresh, (
            f"{plugin.bundle} is stale: run viz-plugins/build.sh and commit the result"
        )


def test_bundle_takes_superset_modules_from_window_only() -> None:
    """No bundled React or @superset-ui: only the host's shared modules."""
    for plugin in PLUGINS:
        source = read_bundle(plugin).decode("utf-8")
        assert 'window["__superset__/@superset-ui/core"]' in source
        assert 'window["__superset__/react"]' in source
        assert "react.production" not in source and "react.development" not in source
        assert "\nimport " not in source, "a bare import would fail in the browser"
        assert ".register()" in source


def test_plugin_sources_typecheck(node_modules: Path) -> None:
    """tsc over sources and tests, against React's and our declared Superset types."""
    node = shutil.which("node")
    assert node, "node is required"
    result = subprocess.run(
        [node, "node_modules/typescript/bin/tsc", "--noEmit", "-p", "tsconfig.json"],
        cwd=node_modules,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
