"""Custom Superset chart plugins of superset-divolte, loaded as dynamic plugins.

Wire it in ``superset_config.py``::

    from superset_divolte.viz_plugins import blueprint as viz_plugins_blueprint
    BLUEPRINTS = [viz_plugins_blueprint]
    FEATURE_FLAGS = {"DYNAMIC_PLUGINS": True}
"""

from .blueprint import JAVASCRIPT_MIME, blueprint, plugin_list
from .registry import PLUGINS, VizPlugin, plugin_for_bundle, read_bundle

__all__ = [
    "JAVASCRIPT_MIME",
    "PLUGINS",
    "VizPlugin",
    "blueprint",
    "plugin_for_bundle",
    "plugin_list",
    "read_bundle",
]
