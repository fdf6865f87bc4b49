"""Flask blueprint that lets a stock Superset 6.1.0 load the add-on's chart plugins.

With the ``DYNAMIC_PLUGINS`` feature flag on, Superset's frontend asks
``GET /dynamic-plugins/api/read`` for ``{"result": [{"key", "bundle_url"}]}``
and then ``import()``s every bundle URL as an ES module. Superset 6.1.0 ships
the Manage -> Plugins screen (table ``dynamic_plugin``) but no such route, so
this blueprint provides it, listing our own bundles first and then the rows of
that table, and serves our bundles same-origin.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, Response, abort, jsonify, request, url_for
from sqlalchemy.exc import SQLAlchemyError

from .registry import PLUGINS, bundle_digest, plugin_for_bundle, read_bundle

logger = logging.getLogger(__name__)

blueprint = Blueprint("divolte_viz_plugins", __name__)

JAVASCRIPT_MIME = "application/javascript"


def _dynamic_plugins_enabled() -> bool:
    """Mirror Superset's own Plugins view, which exists only under the flag."""
    from superset import is_feature_enabled

    return bool(is_feature_enabled("DYNAMIC_PLUGINS"))


def _own_plugins() -> list[dict[str, str]]:
    """Our bundles, with a content hash in the URL so a new build is re-fetched."""
    entries = []
    for plugin in PLUGINS:
        version = bundle_digest(read_bundle(plugin))
        url = url_for(f"{blueprint.name}.bundle", filename=plugin.bundle, v=version)
        entries.append({"key": plugin.key, "bundle_url": url})
    return entries


def _stored_plugins() -> list[dict[str, str]]:
    """Rows of Superset's ``dynamic_plugin`` table (Manage -> Plugins).

    Only key and bundle URL are returned: the route is public (the login page
    calls it too) and the browser needs nothing else.
    """
    from superset.extensions import db
    from superset.models.dynamic_plugins import DynamicPlugin

    try:
        rows = (
            db.session.query(DynamicPlugin.key, DynamicPlugin.bundle_url)
            .order_by(DynamicPlugin.id)
            .all()
        )
    except SQLAlchemyError:
        # A broken or not yet migrated metadata DB must not keep our own
        # plugins from loading.
        logger.exception("could not read the dynamic_plugin table")
        db.session.rollback()
        return []
    return [{"key": key, "bundle_url": url} for key, url in rows]


def plugin_list() -> list[dict[str, str]]:
    """Our plugins, then stored ones whose key is not ours.

    Our keys win: the bundle that ships with this package is the one its
    dashboards were built against, so a stale row cannot shadow it.
    """
    own = _own_plugins()
    keys = {entry["key"] for entry in own}
    stored = []
    for entry in _stored_plugins():
        if entry["key"] in keys:
            logger.warning("dynamic_plugin row %r shadows a built-in plugin; ignored", entry["key"])
            continue
        keys.add(entry["key"])
        stored.append(entry)
    return own + stored


@blueprint.route("/dynamic-plugins/api/read", methods=["GET"])
def read_plugins() -> Any:
    """The list the frontend's DynamicPluginProvider loads at start-up."""
    if not _dynamic_plugins_enabled():
        abort(404)
    response = jsonify({"result": plugin_list()})
    response.headers["Cache-Control"] = "no-store"
    return response


@blueprint.route("/divolte-viz-plugins/<string:filename>", methods=["GET"])
def bundle(filename: str) -> Response:
    """Serve one of our bundles; any other name, including traversal, is a 404."""
    plugin = plugin_for_bundle(filename)
    if plugin is None:
        abort(404)
    content = read_bundle(plugin)
    response = Response(content, mimetype=JAVASCRIPT_MIME)
    response.set_etag(bundle_digest(content))
    # Revalidate each time: cheap thanks to the ETag, and a rebuilt bundle
    # is picked up without waiting out a max-age.
    response.headers["Cache-Control"] = "no-cache"
    return response.make_conditional(request)
