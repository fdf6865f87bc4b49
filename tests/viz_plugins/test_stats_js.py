"""One command for both sides of the statistics tests.

Computes the SciPy reference table, then runs the plugin's node:test suite
(statistics properties, the SciPy comparison, the sequential-testing
simulation, query and props) against it. The node output, with the
measured differences and false-positive rates, is kept in test-artifacts/.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

from .stats_reference import write_reference


def test_node_suite_against_scipy_reference(
    node_modules: Path, tmp_path: Path, artifacts_dir: Path
) -> None:
    reference = tmp_path / "stats-reference.json"
    write_reference(reference)
    node = shutil.which("node")
    assert node, "node is required"
    result = subprocess.run(
        [node, "scripts/test.mjs"],
        cwd=node_modules,
        env={**os.environ, "STATS_REFERENCE": str(reference)},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    output = result.stdout + result.stderr
    (artifacts_dir / "viz-plugins-node-tests.txt").write_text(output, encoding="utf-8")
    assert result.returncode == 0, output[-6000:]
    counts = {key: int(value) for key, value in re.findall(r"^# (pass|fail|skipped) (\d+)$", output, re.M)}
    assert counts.get("fail") == 0 and counts.get("skipped") == 0, output[-3000:]
    assert counts.get("pass", 0) >= 30, output[-3000:]
    # The simulation's figures are part of what this test measures: nine A/A grids and the power run
    # (the bound: a median of at most 28,650 units per arm at +10% on 5%).
    rates = [float(rate) for rate in re.findall(r"fpr_always_valid=(\d\.\d+)", output)]
    assert len(rates) == 9 and max(rates) <= 0.05 + 2 * (0.05 * 0.95 / 2000) ** 0.5, output[-3000:]
    power = re.search(r"median_units_per_arm_to_decision=(\d+)", output)
    assert power and int(power.group(1)) <= 28_650, output[-3000:]
