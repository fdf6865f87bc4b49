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
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping, TextIO

import yaml

from superset_divolte.assets import (
    AssetError,
    AssetFile,
    AssetTree,
    EnvString,
    Problem,
    TargetChoice,
    load_tree,
    resolve_tree,
)
from superset_divolte.bundle import Bundle, build_bundle, zip_bytes
from superset_divolte.export import export_local, with_file_chart_ids
from superset_divolte.validation import validate_tree

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
        if existing is not None and kind == "dashboards":
            existing = with_file_chart_ids(existing, document.get("position"))
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


def provision_local(app: "Flask", bundle: Bundle, username: str = "admin") -> ProvisionReport:
    """Import ``bundle`` into the Superset of ``app``, in process, as ``username``."""
    from superset.commands.importers.v1.assets import ImportAssetsCommand
    from superset.utils.core import override_user

    with app.app_context():
        user = app.appbuilder.sm.find_user(username=username)
        if user is None:
            raise ProvisionError(f"Superset has no user {username!r}: create it first (superset fab create-admin)")
        report = classify(bundle, exported_by_uuid(export_local(app, username)))
        with override_user(user):
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


def provision_home(home: Path, tree: AssetTree, target: str) -> ProvisionReport:
    """Validate, bundle and provision into the Superset whose home is ``home``, in this process."""
    from superset_divolte.event_store import DUCKDB_PATH_VARIABLE, ensure_views
    from superset_divolte.superset_app import SupersetHome, create_superset_app, initialize

    superset_home = SupersetHome(home.resolve())
    superset_home.prepare_environment()
    os.environ.setdefault(DUCKDB_PATH_VARIABLE, str(superset_home.path / "clickstream.duckdb"))
    if target == "duckdb":
        # An event store written before a view existed gets it now (a physical dataset reads it).
        ensure_views(Path(os.environ[DUCKDB_PATH_VARIABLE]))
    app = create_superset_app()
    initialize(superset_home, app)
    with app.app_context():
        _raise_problems(validate_tree(tree, [target]))
    return provision_local(app, build_bundle(tree, target))


FILE_ENGINES = ("duckdb", "sqlite")
"""Engines whose URI names a file on the server: a relative one would be read from its working directory."""


def _uri_variables(file: AssetFile, target: str) -> list[str]:
    stated = file.document.get("sqlalchemy_uri")
    if isinstance(stated, TargetChoice):
        stated = stated.values.get(target)
    return stated.variables() if isinstance(stated, EnvString) else []


def _relative_file_problem(file: AssetFile, uri: str, target: str) -> Problem | None:
    from sqlalchemy.engine.url import make_url

    url = make_url(uri)
    if url.drivername.split("+", 1)[0] not in FILE_ENGINES or url.database == ":memory:":
        return None
    if url.database and Path(url.database).is_absolute():
        return None
    variables = _uri_variables(file, target)
    fix = (f"export {variables[0]}=/absolute/path/on/the/server/{Path(url.database or 'clickstream.duckdb').name}"
           if variables else "write an absolute path: duckdb:////absolute/path/file.duckdb")
    return Problem(file.display_name, "sqlalchemy_uri",
                   f"resolves to {uri!r}, a relative path that the server would open relative to its own "
                   "working directory; nothing was provisioned", f"{fix} (the path as the server sees it)")


def relative_file_problems(tree: AssetTree, target: str) -> list[Problem]:
    """Databases whose resolved URI names a file by a relative path (or none): refused for a remote Superset."""
    resolved = resolve_tree(tree, target)
    problems = []
    for file in tree.of_kind("databases"):
        uri = resolved[file.import_path].get("sqlalchemy_uri")
        problem = _relative_file_problem(file, uri, target) if isinstance(uri, str) else None
        if problem is not None:
            problems.append(problem)
    return problems


def provision_remote(superset_url: str, username: str, tree: AssetTree, target: str) -> ProvisionReport:
    """Validate and bundle here, then provision a running Superset through its REST API."""
    from superset_divolte.superset_app import validation_context
    from superset_divolte.superset_client import checked_base_url, connect

    checked_base_url(superset_url)
    # What needs no Superset here comes first (the URL, the server's file paths, the login), so a mistake
    # there is reported in seconds; validating starts a Superset in this process.
    _raise_problems(relative_file_problems(tree, target))
    with connect(superset_url, username) as client:
        with validation_context():
            _raise_problems(validate_tree(tree, [target]))
        bundle = build_bundle(tree, target)
        report = classify(bundle, exported_by_uuid(client.export_assets()))
        if report.changed:
            client.import_assets(zip_bytes(bundle), bundle.passwords)
    return report


def _raise_problems(problems: list[Problem]) -> None:
    if problems:
        raise AssetError(problems)


@dataclass(frozen=True)
class DruidTarget:
    """Where Druid's Overlord and SQL endpoint are, and the Kafka brokers its supervisor reads."""

    overlord_url: str
    broker_url: str
    kafka_bootstrap: str


def provision_druid(druid: DruidTarget, wait: bool, out: TextIO = sys.stderr) -> str:
    """Create or update the clickstream Kafka supervisor and its auto-compaction; optionally wait until
    Druid answers SQL.

    Returns what happened to the supervisor: created, updated or unchanged. The sessions datasource is
    kept by ``superset-divolte druid materialise --every 60`` (a job that runs beside Druid, not a spec).
    """
    from superset_divolte.druid.client import DruidClient, compaction_config, supervisor_spec

    client = DruidClient(druid.overlord_url, druid.broker_url)
    spec = supervisor_spec(druid.kafka_bootstrap)
    outcome = client.submit_supervisor(spec)
    print(f"Druid supervisor {spec['spec']['dataSchema']['dataSource']}: {outcome}", file=out)
    compaction = compaction_config()
    print(f"Druid compaction {compaction['dataSource']}: {client.submit_compaction(compaction)}", file=out)
    if wait:
        rows = client.wait_for_datasource(spec["spec"]["dataSchema"]["dataSource"],
                                          progress=lambda line: print(line, file=out, flush=True))
        print(f"Druid answers SQL: {rows:,} rows", file=out)
    return outcome


def provision(assets: Path, target: str, home: Path, superset_url: str | None, username: str,
              druid: DruidTarget | None = None, wait_for_druid: bool = False) -> ProvisionReport:
    """What ``superset-divolte provision`` does: Druid's ingestion first (target druid), then Superset."""
    tree = load_tree(assets)
    if target == "druid" and druid is not None:
        provision_druid(druid, wait_for_druid)
    if superset_url:
        return provision_remote(superset_url, username, tree, target)
    return provision_home(home, tree, target)
