"""The add-on's own visualization plugins and the built bundles that carry them.

Each plugin is one ES module under ``bundles/``, built from ``viz-plugins/`` by
esbuild and committed, so an installed wheel serves it without npm.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from importlib import resources

BUNDLE_DIR = "bundles"


@dataclass(frozen=True)
class VizPlugin:
    """One custom chart type: its Superset ``viz_type`` key and its bundle file."""

    key: str
    name: str
    bundle: str


PLUGINS: tuple[VizPlugin, ...] = (
    VizPlugin(
        key="divolte_experiment",
        name="Experiment (A/B test)",
        bundle="experiment-chart.js",
    ),
    VizPlugin(
        key="divolte_cohort_triangle",
        name="Cohort triangle (retention)",
        bundle="cohort-triangle.js",
    ),
)

# Looked up by file name, so a request can only ever reach a listed bundle:
# nothing from the URL is joined onto a filesystem path.
_BY_BUNDLE: dict[str, VizPlugin] = {plugin.bundle: plugin for plugin in PLUGINS}


def plugin_for_bundle(filename: str) -> VizPlugin | None:
    """Return the plugin whose bundle is ``filename``, or None if it is not ours."""
    return _BY_BUNDLE.get(filename)


def read_bundle(plugin: VizPlugin) -> bytes:
    """Read the plugin's built bundle from the installed package data."""
    return resources.files(__package__).joinpath(BUNDLE_DIR, plugin.bundle).read_bytes()


def bundle_digest(content: bytes) -> str:
    """A short content hash, used as ETag and as cache-busting query string."""
    return hashlib.sha256(content).hexdigest()[:16]
