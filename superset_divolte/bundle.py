"""Bundling: the asset tree, resolved for one target, as Superset's import contents and ZIP.

The ZIP is what ``superset import-dashboards -p FILE.zip`` and
``/api/v1/assets/import/`` accept. Database passwords never enter it: they
are masked in the files and handed to the importer separately.
"""

from __future__ import annotations

import copy
import io
import os
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

import yaml
from sqlalchemy.engine.url import make_url

from superset_divolte import query_context
from superset_divolte.assets import AssetTree, resolve_tree

IMPORT_VERSION = "1.0.0"
PASSWORD_MASK = "XXXXXXXXXX"
ZIP_ROOT = "superset_divolte_assets"
ZIP_DATE = (2020, 1, 1, 0, 0, 0)
"""A fixed time for every ZIP entry, so the same tree gives the same bytes."""


@dataclass
class Bundle:
    """Import contents by path, plus the database passwords kept out of them."""

    target: str
    documents: dict[str, dict[str, Any]]
    passwords: dict[str, str] = field(default_factory=dict)

    @property
    def contents(self) -> dict[str, str]:
        """Superset import contents: path to YAML text, with ``metadata.yaml``."""
        contents = {"metadata.yaml": yaml.safe_dump({"version": IMPORT_VERSION})}
        for path, document in sorted(self.documents.items()):
            contents[path] = yaml.safe_dump(document, sort_keys=True, allow_unicode=True)
        return contents

    def uuids(self, kind: str) -> list[str]:
        """UUIDs of the objects of one kind in the bundle."""
        return [str(doc["uuid"]) for path, doc in sorted(self.documents.items()) if path.startswith(f"{kind}/")]


def _mask_password(document: dict[str, Any]) -> str | None:
    url = make_url(document["sqlalchemy_uri"])
    if not url.password or url.password == PASSWORD_MASK:
        return None
    document["sqlalchemy_uri"] = url.set(password=PASSWORD_MASK).render_as_string(hide_password=False)
    return str(url.password)


def _with_query_context(chart: dict[str, Any]) -> dict[str, Any]:
    if chart.get("query_context") or not query_context.can_build(chart["viz_type"]):
        return chart
    return {**chart, "query_context": query_context.build(chart["viz_type"], chart.get("params") or {})}


def build_bundle(tree: AssetTree, target: str, environment: Mapping[str, str] | None = None) -> Bundle:
    """The tree resolved for ``target`` (secrets from ``environment``), ready to import."""
    documents = copy.deepcopy(resolve_tree(tree, target, os.environ if environment is None else environment))
    bundle = Bundle(target, {})
    for path, document in documents.items():
        if path.startswith("databases/"):
            password = _mask_password(document)
            if password:
                bundle.passwords[path] = password
        if path.startswith("charts/"):
            document = _with_query_context(document)
        document.setdefault("version", IMPORT_VERSION)
        bundle.documents[path] = document
    return bundle


def zip_bytes(bundle: Bundle) -> bytes:
    """The bundle as a ZIP with one root folder, byte-for-byte stable for the same input."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path, text in bundle.contents.items():
            info = zipfile.ZipInfo(f"{ZIP_ROOT}/{path}", date_time=ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, text)
    return buffer.getvalue()


def write_zip(bundle: Bundle, destination: Path) -> None:
    """Write the ZIP atomically: a failure leaves no partial file behind."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=destination.parent, suffix=".partial", delete=False) as partial:
        partial.write(zip_bytes(bundle))
    os.replace(partial.name, destination)
