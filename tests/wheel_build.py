"""Building the wheel as a user's pip would, from a clean copy of the sources (no build leftovers)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from conftest import REPO


def clean_source_copy(target: Path) -> Path:
    """The files a source distribution would have; links (stack/druid, the asset tree) become files."""
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info", "*.pyc")
    target.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(REPO / name, target / name)
    shutil.copytree(REPO / "superset_divolte", target / "superset_divolte", ignore=ignore)
    return target


def pip(*args: str) -> None:
    """Run this interpreter's pip; output is kept unless it fails."""
    subprocess.run([sys.executable, "-m", "pip", *args], check=True, timeout=600, capture_output=True)


def build_wheel(folder: Path) -> Path:
    """``pip wheel . --no-deps`` of a clean source copy, in ``folder``; the wheel's path."""
    source = clean_source_copy(folder / "source")
    dist = folder / "dist"
    pip("wheel", "--no-deps", "--quiet", "-w", str(dist), str(source))
    (wheel,) = dist.glob("superset_divolte-*.whl")
    return wheel
