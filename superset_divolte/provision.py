"""Provisioning: bring a Superset to the state a bundle describes, all or nothing.

Objects are matched by UUID. Before anything is written, the target's current
objects are compared with the bundle: when nothing differs nothing is
imported, so a second run changes nothing. Otherwise the whole bundle goes
through Superset's own ``ImportAssetsCommand`` in one transaction, which
rolls back entirely when any object fails.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping

import yaml

from superset_divolte.bundle import Bundle

if TYPE_CHECKING:
    from flask import Flask

IGNORED_KEYS = frozenset({"datasource", "version", "id", "chartId"})
"""Keys the target derives itself (ids of its own rows), never compared."""
NAME_KEYS = {"databases": "database_name", "datasets": "table_name", "charts": "slice_name",
             "dashboards": "dashboard_title"}


class ProvisionError(Exception):
    """The import failed; the target was left as it was."""


@dataclass
class ProvisionReport:
    """What a provisioning run did (or, with nothing to do, left alone)."""

    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        """True when anything was created or updated."""
        return bool(self.created or self.updated)

    def summary(self) -> str:
        """Lines a person reads after provisioning."""
        lines = [f"created {len(self.created)}, updated {len(self.updated)}, unchanged {len(self.unchanged)}"]
        lines += [f"  created   {name}" for name in self.created]
        lines += [f"  updated   {name}" for name in self.updated]
        return "\n".join(lines)


def _maybe_json(value: Any) -> Any:
    if isinstance(value, str) and value[:1] in "{[":
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


EMPTY = (None, "", {}, [], False)
"""Values Superset treats as 'not set'; one of them stands for any other."""
IDENTITY_KEYS = ("column_name", "metric_name")


def _identity_key(items: list[Any]) -> str | None:
    for key in IDENTITY_KEYS:
        if items and all(isinstance(item, dict) and key in item for item in items):
            return key
    return None


def matches(desired: Any, actual: Any) -> bool:
    """True when ``actual`` already holds everything ``desired`` states.

    Keys the target adds (ids, defaults) do not count; JSON held in strings
    is compared as data; a desired ``None`` matches an absent key.
    """
    desired, actual = _maybe_json(desired), _maybe_json(actual)
    if isinstance(desired, dict):
        if not isinstance(actual, dict):
            return False
        return all(matches(value, actual.get(key)) for key, value in desired.items() if key not in IGNORED_KEYS)
    if isinstance(desired, list):
        if not isinstance(actual, list) or len(desired) != len(actual):
            return False
        key = _identity_key(desired)
        if key:
            # Superset returns columns and metrics in its own row order.
            by_name = {item.get(key): item for item in actual if isinstance(item, dict)}
            return all(matches(item, by_name.get(item[key])) for item in desired)
        return all(matches(d, a) for d, a in zip(desired, actual))
    if desired in EMPTY and actual in EMPTY:
        return True
    return desired == actual


def classify(bundle: Bundle, current: Mapping[str, dict[str, Any]]) -> ProvisionReport:
    """Created, updated or unchanged, per bundle object, against the target's objects by UUID."""
    report = ProvisionReport()
    for path, document in sorted(bundle.documents.items()):
        kind = path.split("/", 1)[0]
        label = f"{kind[:-1]} '{document.get(NAME_KEYS[kind])}' ({document['uuid']})"
        existing = current.get(str(document["uuid"]))
        if existing is None:
            report.created.append(label)
        elif matches(document, existing):
            report.unchanged.append(label)
        else:
            report.updated.append(label)
    return report


def exported_by_uuid(contents: Mapping[str, str]) -> dict[str, dict[str, Any]]:
    """Superset export contents (path to YAML) as documents by UUID."""
    documents = {}
    for path, text in contents.items():
        if path.split("/", 1)[0] in NAME_KEYS:
            document = yaml.safe_load(text)
            documents[str(document["uuid"])] = document
    return documents


def export_local_contents() -> dict[str, str]:
    """Every asset of the Superset of this app context, as Superset exports it."""
    from superset.commands.export.assets import ExportAssetsCommand

    return {path: content() for path, content in ExportAssetsCommand().run()}


def provision_local(app: "Flask", bundle: Bundle, username: str = "admin") -> ProvisionReport:
    """Import ``bundle`` into the Superset of ``app``, in process, as ``username``."""
    from superset.commands.importers.v1.assets import ImportAssetsCommand
    from superset.utils.core import override_user

    with app.app_context():
        user = app.appbuilder.sm.find_user(username=username)
        if user is None:
            raise ProvisionError(f"Superset has no user {username!r}: create it first (superset fab create-admin)")
        with override_user(user):
            report = classify(bundle, exported_by_uuid(export_local_contents()))
            if not report.changed:
                return report
            try:
                ImportAssetsCommand(bundle.contents, passwords=bundle.passwords).run()
            except Exception as error:
                raise ProvisionError(f"import failed, nothing was changed: {_reason(error)}") from error
    return report


def _reason(error: BaseException) -> str:
    messages = getattr(error, "normalized_messages", None)
    detail = messages() if callable(messages) else None
    cause = error.__cause__ or error.__context__
    return f"{error} {detail or ''} {f'(cause: {cause!r})' if cause else ''}".strip()


def provision_home(home: Path, bundle: Bundle) -> ProvisionReport:
    """Provision into the Superset whose home is ``home``, in this process (made if new)."""
    from superset_divolte.event_store import DUCKDB_PATH_VARIABLE
    from superset_divolte.superset_app import SupersetHome, create_superset_app, initialize

    superset_home = SupersetHome(home.resolve())
    superset_home.prepare_environment()
    os.environ.setdefault(DUCKDB_PATH_VARIABLE, str(superset_home.path / "clickstream.duckdb"))
    app = create_superset_app()
    initialize(superset_home, app)
    return provision_local(app, bundle)
