"""Pull assets edited in Superset back into the asset tree, so a diff shows only real changes.

The input is Superset's export contents (path -> YAML text), from the REST
API (``SupersetClient.export_assets``) or in process (``export_local``). Each
exported object is matched to its tree file by uuid and written back in the
tree's canonical form (``assets.dump_yaml``):

- what the importer derives is removed: ``params.datasource``, datasource ids
  in ``query_context``, and the live chart ids of a dashboard are mapped back
  to the ids its file uses;
- a key the tree file does not state is dropped when its value is what
  Superset fills in by itself (None, "", [], {}, False, or a default listed in
  ``IMPORT_DEFAULTS``); deeper inside JSON fields only empty values are
  dropped (False there can differ from the frontend's default), plus what
  Superset adds to a saved dashboard's metadata (``DASHBOARD_METADATA_DEFAULTS``);
- ``query_context`` is dropped when the tree does not state it and the bundle
  derives it from params;
- a ``!target``/``!env`` value whose resolution for this target equals the
  exported value is written back as the tag; when it differs, only this
  target's entry of a ``!target`` is updated (an ``!env`` becomes the plain value);
- passwords never come back: Superset exports them masked, and a database
  file keeps the tree's ``!env`` form of its URI.

Provisioning a tree and exporting it gives back the same files, byte for byte.
"""

from __future__ import annotations

import copy
import json
import os
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any, Iterable, Iterator, Mapping

import yaml

from superset_divolte import query_context
from superset_divolte.assets import (
    ASSET_KINDS,
    ENV_REFERENCE,
    AssetFile,
    AssetTree,
    EnvString,
    TargetChoice,
    dump_yaml,
    load_tree,
    resolve,
)
from superset_divolte.bundle import IMPORT_VERSION, PASSWORD_MASK

if TYPE_CHECKING:
    from flask import Flask

URI_PASSWORD = re.compile(r"^([A-Za-z0-9+.-]+://[^/:@\s]*:)([^@\s]*)(@)")
URI_USERINFO = re.compile(r"^[A-Za-z0-9+.-]+://[^/@\s]+@")
"""A URI naming a user (and a masked password): never written into a file as it is."""
SECRET_VARIABLE = re.compile(r"(PASSWORD|PASSWD|SECRET|TOKEN|CREDENTIAL|USER|API_KEY)", re.I)
"""Variables that hold credentials: unset, they may stand for whatever the server holds, default or not."""
KIND_FOLDERS = {"databases": "datasets", "datasets": "datasets", "charts": "dashboards", "dashboards": "dashboards"}
"""Where a new object's file goes in the repository, by kind."""
EMPTY_VALUES: tuple[Any, ...] = (None, "", [], {})
IMPORT_DEFAULTS: dict[str, dict[str, Any]] = {
    "databases": {"expose_in_sqllab": True, "allow_csv_upload": True,
                  "configuration_method": "sqlalchemy_form", "version": IMPORT_VERSION},
    "datasets": {"offset": 0, "filter_select_enabled": True, "version": IMPORT_VERSION},
    "datasets.columns": {"is_active": True, "groupby": True, "filterable": True},
    "datasets.metrics": {},
    "charts": {"version": IMPORT_VERSION},
    "dashboards": {"version": IMPORT_VERSION},
}
"""Non-empty values Superset 6.1.0 gives a field that an imported file leaves out.

Model column defaults (``expose_in_sqllab``, ``offset``, ``is_active``…), the
import schema's (``configuration_method``), the database importer's
(``allow_csv_upload``) and the bundle's (``version``).
"""
DASHBOARD_METADATA_DEFAULTS = {"cross_filters_enabled": True, "show_chart_timestamps": False}
"""What Superset's dashboard metadata schema adds to ``metadata`` whenever a dashboard is saved."""
ALWAYS_KEPT = {"databases": {"extra"}}
"""Fields kept even when empty: Superset's database importer fails without ``extra``."""
EXPORT_SPELLINGS = {"allow_csv_upload": "allow_file_upload",
                    "schemas_allowed_for_csv_upload": "schemas_allowed_for_file_upload"}
"""Database fields Superset exports under their old names; a tree may state either name."""
ROW_LISTS = {"datasets": {"columns": "column_name", "metrics": "metric_name"}}
"""Lists of model rows, matched by name rather than position."""
_MISSING = object()


@dataclass
class ExportReport:
    """What an export did to the tree, by path relative to the output folder."""

    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    """Tree files whose object Superset does not have (left as they are)."""

    @property
    def written(self) -> list[str]:
        """Files added or changed."""
        return sorted(self.added + self.changed)

    def summary(self) -> str:
        """Lines a person reads after exporting."""
        lines = [f"added {len(self.added)}, changed {len(self.changed)}, unchanged {len(self.unchanged)}"]
        lines += [f"  added     {path}" for path in self.added]
        lines += [f"  changed   {path}" for path in self.changed]
        lines += [f"  not in Superset (left as is)  {path}" for path in self.missing]
        return "\n".join(lines)


def export_local(app: "Flask", username: str | None = None) -> dict[str, str]:
    """Export contents of the Superset metadata behind ``app``, in process, as ``username`` (the admin)."""
    from superset import security_manager
    from superset.commands.export.assets import ExportAssetsCommand
    from superset.utils.core import override_user

    from superset_divolte.superset_app import ADMIN_USERNAME

    with app.app_context():
        user = security_manager.find_user(username=username or ADMIN_USERNAME)
        if user is None:
            raise LookupError(f"Superset has no user {username or ADMIN_USERNAME!r} to export as")
        with override_user(user):
            return {path: content() for path, content in ExportAssetsCommand().run()}


# --- matching tagged tree values against exported values --------------------------------------------------


def _mask_uri_password(value: str) -> str:
    return URI_PASSWORD.sub(lambda match: f"{match.group(1)}{PASSWORD_MASK}{match.group(3)}", value)


def _env_matches(template: str, exported: str, environment: Mapping[str, str]) -> bool:
    """True when some value of the unset variables makes ``template`` the exported string.

    Passwords in URIs compare masked, since Superset never exports them.
    """
    wildcard = "\x00"

    def replace(match: re.Match[str]) -> str:
        name, default = match.group(1), match.group(2)
        if name in environment:
            return environment[name]
        return default if default is not None and not SECRET_VARIABLE.search(name) else wildcard

    expanded = _mask_uri_password(ENV_REFERENCE.sub(replace, template))
    pattern = ".*".join(re.escape(part) for part in expanded.split(wildcard))
    return re.fullmatch(pattern, _mask_uri_password(exported), re.S) is not None


class _Context:
    """The target and environment that tree values resolve with."""

    def __init__(self, target: str, environment: Mapping[str, str]) -> None:
        self.target = target
        self.environment = environment

    def resolve(self, value: Any) -> Any:
        """``value`` for this target; unset variables stay empty (only used to compare)."""
        return resolve(value, self.target, self.environment, placeholder="")

    def matches(self, tree_value: Any, exported: Any) -> bool:
        """True when the tree value, resolved for this target, is the exported value."""
        if isinstance(tree_value, TargetChoice):
            return self.target in tree_value.values and self.matches(tree_value.values[self.target], exported)
        if isinstance(tree_value, EnvString):
            return isinstance(exported, str) and _env_matches(tree_value.template, exported, self.environment)
        if isinstance(tree_value, dict) and isinstance(exported, dict):
            return tree_value.keys() == exported.keys() and all(
                self.matches(tree_value[key], exported[key]) for key in tree_value)
        if isinstance(tree_value, list) and isinstance(exported, list):
            return len(tree_value) == len(exported) and all(
                self.matches(item, other) for item, other in zip(tree_value, exported))
        return type(tree_value) is type(exported) and tree_value == exported


# --- merging an exported document into its tree file -------------------------------------------------------


def _merge_value(tree_value: Any, exported: Any, context: _Context) -> Any:
    """The exported value, written with the tree's tags and spelling wherever they still hold."""
    if tree_value is _MISSING:
        return exported
    if context.matches(tree_value, exported):
        return tree_value
    if isinstance(tree_value, TargetChoice):
        # Only this target's entry changes; the others are not ours to touch.
        entry = tree_value.values.get(context.target, _MISSING)
        return TargetChoice({**tree_value.values, context.target: _merge_value(entry, exported, context)})
    if isinstance(tree_value, dict) and isinstance(exported, dict):
        return _merge_nested(tree_value, exported, context)
    if isinstance(tree_value, list) and isinstance(exported, list) and len(tree_value) == len(exported):
        return [_merge_value(item, other, context) for item, other in zip(tree_value, exported)]
    return exported


def _merge_nested(tree_value: dict[str, Any], exported: dict[str, Any], context: _Context) -> dict[str, Any]:
    """Inside JSON fields the export is the truth; keys it adds empty are noise, not edits."""
    return {key: _merge_value(tree_value.get(key, _MISSING), value, context)
            for key, value in exported.items()
            if key in tree_value or not _is_empty(value)}


def _is_empty(value: Any) -> bool:
    return any(type(value) is type(empty) and value == empty for empty in EMPTY_VALUES)


def _is_default(value: Any, default: Any) -> bool:
    if _is_empty(value) or value is False:
        return True
    return default is not _MISSING and type(value) is type(default) and value == default


def _merge_record(tree_record: dict[str, Any], exported: dict[str, Any], scope: str,
                  context: _Context) -> dict[str, Any]:
    """One object (or model row): keys the tree leaves out go when Superset would fill them in anyway."""
    defaults = IMPORT_DEFAULTS.get(scope, {})
    kept = ALWAYS_KEPT.get(scope, set())
    merged: dict[str, Any] = {}
    for key, value in exported.items():
        if key in tree_record:
            merged[key] = _merge_value(tree_record[key], value, context)
        elif key in kept or not _is_default(value, defaults.get(key, _MISSING)):
            merged[key] = value
    for key, value in tree_record.items():
        # Fields Superset does not export (or that the bundle fills in) stay as the tree states them.
        merged.setdefault(key, value)
    return merged


def _merge_rows(tree_rows: Any, exported_rows: list[dict[str, Any]], name_key: str, scope: str,
                context: _Context) -> list[dict[str, Any]]:
    """Model rows matched by name: the tree's order first, then new rows by name."""
    tree_rows = tree_rows if isinstance(tree_rows, list) else []
    by_name = {context.resolve(row.get(name_key)): row for row in tree_rows if isinstance(row, dict)}
    exported_by_name = {row.get(name_key): row for row in exported_rows}
    order = [name for name in by_name if name in exported_by_name]
    order += sorted((name for name in exported_by_name if name not in by_name), key=str)
    return [_merge_record(by_name.get(name, {}), exported_by_name[name], scope, context) for name in order]


def _merge_document(kind: str, tree_document: dict[str, Any], exported: dict[str, Any],
                    context: _Context) -> dict[str, Any]:
    rows = ROW_LISTS.get(kind, {})
    merged = _merge_record(tree_document, {key: value for key, value in exported.items() if key not in rows},
                           kind, context)
    for key, name_key in rows.items():
        if isinstance(exported.get(key), list):
            merged[key] = _merge_rows(tree_document.get(key), exported[key], name_key, f"{kind}.{key}", context)
    return {key: merged[key] for key in sorted(merged)}


# --- undoing what the importer derives ----------------------------------------------------------------------


def _copy_or_drop(target: dict[str, Any], source: Any, key: str) -> None:
    """Give ``target[key]`` the value ``source`` has, or remove it when ``source`` has none."""
    if isinstance(source, dict) and key in source:
        target[key] = source[key]
    else:
        target.pop(key, None)


def _normalise_query_context(exported: str, tree_value: Any, context: _Context) -> str:
    """The saved query context with the importer's datasource ids put back as the tree has them."""
    try:
        live = json.loads(exported)
        stated = json.loads(context.resolve(tree_value) or "{}")
    except (TypeError, ValueError):
        return exported
    if not isinstance(live, dict) or not isinstance(stated, dict):
        return exported
    _copy_or_drop(live, stated, "datasource")
    if isinstance(live.get("form_data"), dict):
        _copy_or_drop(live["form_data"], stated.get("form_data"), "datasource")
    stated_queries = stated.get("queries") if isinstance(stated.get("queries"), list) else []
    for index, query in enumerate(live.get("queries") or []):
        if isinstance(query, dict) and "datasource" in query:
            _copy_or_drop(query, stated_queries[index] if index < len(stated_queries) else None, "datasource")
    return json.dumps(live, sort_keys=True)


def _query_context_equal(left: Any, right: Any) -> bool:
    try:
        return json.loads(left) == json.loads(right)
    except (TypeError, ValueError):
        return left == right


def _normalise_chart(exported: dict[str, Any], tree_document: dict[str, Any], context: _Context) -> dict[str, Any]:
    chart = copy.deepcopy(exported)
    params = chart.get("params")
    if isinstance(params, dict):
        stated = context.resolve(tree_document.get("params"))
        _copy_or_drop(params, stated, "datasource")
    if "query_context" not in tree_document:
        if query_context.can_build(str(chart.get("viz_type"))):
            # The bundle derives it from params at every provisioning.
            chart.pop("query_context", None)
    elif chart.get("query_context"):
        stated = tree_document["query_context"]
        normalised = _normalise_query_context(chart["query_context"], stated, context)
        # Same JSON as the tree states: keep the tree's text (and tags), whatever its spacing.
        chart["query_context"] = (context.resolve(stated)
                                  if _query_context_equal(normalised, context.resolve(stated)) else normalised)
    return chart


def _chart_nodes(position: Any) -> Iterator[dict[str, Any]]:
    if isinstance(position, dict):
        for key in sorted(position):
            node = position[key]
            if isinstance(node, dict) and node.get("type") == "CHART" and isinstance(node.get("meta"), dict):
                yield node


def _chart_id_map(live_position: Any, stated_position: Any) -> dict[int, int]:
    """Live chart id -> the id the dashboard file uses; new charts get the next free ids, in layout order."""
    stated = {str(node["meta"].get("uuid")): node["meta"].get("chartId") for node in _chart_nodes(stated_position)}
    taken = [value for value in stated.values() if isinstance(value, int)]
    next_id = max(taken, default=0) + 1
    id_map: dict[int, int] = {}
    for node in _chart_nodes(live_position):
        live_id = node["meta"].get("chartId")
        if not isinstance(live_id, int) or live_id in id_map:
            continue
        file_id = stated.get(str(node["meta"].get("uuid")))
        if not isinstance(file_id, int):
            file_id, next_id = next_id, next_id + 1
        id_map[live_id] = file_id
    return id_map


def _mapped(id_map: dict[int, int], value: Any) -> Any:
    if isinstance(value, int) and not isinstance(value, bool):
        return id_map.get(value, value)
    if isinstance(value, str) and value.isdigit():
        return str(id_map.get(int(value), int(value)))
    return value


def _map_list(id_map: dict[int, int], values: Any) -> Any:
    return [_mapped(id_map, value) for value in values] if isinstance(values, list) else values


def _map_keys(id_map: dict[int, int], mapping: Any) -> Any:
    return {_mapped(id_map, key): value for key, value in mapping.items()} if isinstance(mapping, dict) else mapping


def _map_scope_excluded(id_map: dict[int, int], holder: Any) -> None:
    scope = holder.get("scope") if isinstance(holder, dict) else None
    if isinstance(scope, dict) and "excluded" in scope:
        scope["excluded"] = _map_list(id_map, scope["excluded"])


def _map_metadata_ids(id_map: dict[int, int], metadata: dict[str, Any]) -> None:
    """The reverse of the fields Superset's dashboard importer maps (``update_id_refs``)."""
    if "timed_refresh_immune_slices" in metadata:
        metadata["timed_refresh_immune_slices"] = _map_list(id_map, metadata["timed_refresh_immune_slices"])
    if isinstance(metadata.get("filter_scopes"), dict):
        metadata["filter_scopes"] = _map_keys(id_map, metadata["filter_scopes"])
        for columns in metadata["filter_scopes"].values():
            for attributes in (columns.values() if isinstance(columns, dict) else []):
                if isinstance(attributes, dict) and "immune" in attributes:
                    attributes["immune"] = _map_list(id_map, attributes["immune"])
    if "expanded_slices" in metadata:
        metadata["expanded_slices"] = _map_keys(id_map, metadata["expanded_slices"])
    if isinstance(metadata.get("default_filters"), str):
        try:
            filters = json.loads(metadata["default_filters"])
            metadata["default_filters"] = json.dumps(_map_keys(id_map, filters))
        except ValueError:
            pass
    for native_filter in metadata.get("native_filter_configuration") or []:
        _map_scope_excluded(id_map, native_filter)
    _map_scope_excluded(id_map, metadata.get("global_chart_configuration"))
    if isinstance(metadata.get("chart_configuration"), dict):
        metadata["chart_configuration"] = _map_keys(id_map, metadata["chart_configuration"])
        for chart_config in metadata["chart_configuration"].values():
            if isinstance(chart_config, dict):
                chart_config["id"] = _mapped(id_map, chart_config.get("id"))
                _map_scope_excluded(id_map, chart_config.get("crossFilters"))


def with_file_chart_ids(exported: dict[str, Any], stated_position: Any) -> dict[str, Any]:
    """An exported dashboard whose chart ids (layout and metadata) are those its file states.

    Superset gives charts its own row ids on import; files keep theirs.
    """
    dashboard = copy.deepcopy(exported)
    id_map = _chart_id_map(dashboard.get("position"), stated_position)
    for node in _chart_nodes(dashboard.get("position")):
        node["meta"]["chartId"] = _mapped(id_map, node["meta"].get("chartId"))
    if isinstance(dashboard.get("metadata"), dict):
        _map_metadata_ids(id_map, dashboard["metadata"])
    return dashboard


def _normalise_dashboard(exported: dict[str, Any], tree_document: dict[str, Any],
                         context: _Context) -> dict[str, Any]:
    dashboard = with_file_chart_ids(exported, context.resolve(tree_document.get("position")))
    metadata = dashboard.get("metadata")
    if isinstance(metadata, dict):
        stated = context.resolve(tree_document.get("metadata"))
        for key, default in DASHBOARD_METADATA_DEFAULTS.items():
            if key not in (stated or {}) and metadata.get(key, _MISSING) == default:
                del metadata[key]
    return dashboard


def _respell(exported: dict[str, Any], stated: Any) -> dict[str, Any]:
    """The export's old field names replaced by the new ones wherever the tree file uses those."""
    stated = stated if isinstance(stated, dict) else {}

    def spelling(key: str) -> str:
        new = EXPORT_SPELLINGS.get(key)
        return new if new in stated and key not in stated else key

    return {spelling(key): value for key, value in exported.items()}


def _normalise_database(exported: dict[str, Any], tree_document: dict[str, Any],
                        context: _Context) -> dict[str, Any]:
    database = _respell(exported, tree_document)
    if isinstance(database.get("extra"), dict):
        database["extra"] = _respell(database["extra"], context.resolve(tree_document.get("extra")))
    return database


def normalise(kind: str, exported: dict[str, Any], tree_document: dict[str, Any] | None, target: str,
              environment: Mapping[str, str] | None = None) -> dict[str, Any]:
    """One exported object as its tree file should read (``tree_document`` None for a new object)."""
    context = _Context(target, os.environ if environment is None else environment)
    tree_document = tree_document or {}
    if kind == "charts":
        exported = _normalise_chart(exported, tree_document, context)
    elif kind == "dashboards":
        exported = _normalise_dashboard(exported, tree_document, context)
    elif kind == "databases":
        exported = _normalise_database(exported, tree_document, context)
    return _merge_document(kind, tree_document, exported, context)


# --- the tree on disk ------------------------------------------------------------------------------------


def _exported_objects(contents: Mapping[str, str]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(kind, export path, document) of every database, dataset, chart and dashboard, by path."""
    for path in sorted(contents):
        kind = path.split("/", 1)[0]
        if kind not in ASSET_KINDS:
            continue
        document = yaml.safe_load(contents[path])
        if isinstance(document, dict) and document.get("uuid"):
            yield kind, path, document


def _tree_by_uuid(tree: AssetTree, context: _Context) -> dict[tuple[str, str], AssetFile]:
    return {(file.kind, str(context.resolve(file.document.get("uuid")))): file for file in tree.files}


def _new_file_path(kind: str, export_path: str, uuid: str, taken: set[str]) -> str:
    """Superset's own export path, under the repository folder for the kind; never a taken path."""
    relative = f"{KIND_FOLDERS[kind]}/{export_path}"
    if relative in taken:
        pure = PurePosixPath(relative)
        relative = str(pure.with_name(f"{pure.stem}_{uuid[:8]}{pure.suffix}"))
    return relative


def _credentials_variable(database_name: Any) -> str:
    return f"SUPERSET_DIVOLTE_{re.sub(r'[^A-Za-z0-9]+', '_', str(database_name)).strip('_').upper()}_CREDENTIALS"


def _without_credentials(uri: Any, variable: str) -> Any:
    """A URI naming a user (and Superset's password mask) as ``!env`` reading them from ``variable``."""
    if isinstance(uri, TargetChoice):
        return TargetChoice({target: _without_credentials(value, variable) for target, value in uri.values.items()})
    if isinstance(uri, str) and URI_USERINFO.match(uri):
        scheme, rest = uri.split("://", 1)
        return EnvString(f"{scheme}://${{{variable}}}{rest.split('@', 1)[1]}")
    return uri


def _keep_credentials_out(kind: str, document: dict[str, Any]) -> dict[str, Any]:
    """Never a user name or password mask in a file: what the tree's ``!env`` does not produce becomes ``!env``."""
    if kind != "databases" or "sqlalchemy_uri" not in document:
        return document
    variable = _credentials_variable(document.get("database_name"))
    return {**document, "sqlalchemy_uri": _without_credentials(document["sqlalchemy_uri"], variable)}


def render(contents: Mapping[str, str], tree: AssetTree, target: str,
           environment: Mapping[str, str] | None = None) -> tuple[dict[str, str], list[str], set[str]]:
    """(relative path -> canonical text, tree files Superset lacks, relative paths that are new)."""
    context = _Context(target, os.environ if environment is None else environment)
    by_uuid = _tree_by_uuid(tree, context)
    taken = {file.source.relative_to(tree.root).as_posix() for file in tree.files}
    texts: dict[str, str] = {}
    new: set[str] = set()
    seen: set[tuple[str, str]] = set()
    for kind, path, exported in _exported_objects(contents):
        key = (kind, str(exported["uuid"]))
        seen.add(key)
        file = by_uuid.get(key)
        document = normalise(kind, exported, file.document if file else None, target, context.environment)
        if file is not None:
            relative = file.source.relative_to(tree.root).as_posix()
        else:
            relative = _new_file_path(kind, path, key[1], taken)
            new.add(relative)
        taken.add(relative)
        texts[relative] = dump_yaml(_keep_credentials_out(kind, document))
    missing = sorted(file.source.relative_to(tree.root).as_posix()
                     for key, file in by_uuid.items() if key not in seen)
    return texts, missing, new


class ExportError(Exception):
    """The export cannot be written as it came; nothing was written."""


def _leaves(out_dir: Path, relative: str) -> bool:
    pure = PurePosixPath(relative)
    root = out_dir.resolve()
    return pure.is_absolute() or ".." in pure.parts or not (root / pure).resolve().is_relative_to(root)


def check_paths_inside(out_dir: Path, relatives: Iterable[str]) -> None:
    """An ``ExportError`` when any path would be written outside ``out_dir`` (a hostile or spoofed server)."""
    outside = sorted(relative for relative in relatives if _leaves(out_dir, relative))
    if outside:
        raise ExportError(f"the export holds {len(outside)} file(s) that would be written outside {out_dir}: "
                          f"{', '.join(outside[:5])}; nothing was written. Check that the Superset URL is the "
                          "server you meant (a genuine Superset never exports such paths)")


def _install(texts: Mapping[str, str], out_dir: Path) -> None:
    """Put every file in place, or none: staged in a scratch folder, rolled back on failure."""
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".export-", dir=out_dir) as scratch:
        staged, backups = Path(scratch) / "new", Path(scratch) / "old"
        for relative, text in sorted(texts.items()):
            (staged / relative).parent.mkdir(parents=True, exist_ok=True)
            (staged / relative).write_text(text, encoding="utf-8")
        done: list[tuple[Path, Path | None]] = []
        try:
            for relative in sorted(texts):
                destination = out_dir / relative
                destination.parent.mkdir(parents=True, exist_ok=True)
                backup = None
                if destination.exists():
                    backup = backups / relative
                    backup.parent.mkdir(parents=True, exist_ok=True)
                    os.replace(destination, backup)
                done.append((destination, backup))
                os.replace(staged / relative, destination)
        except OSError:
            for destination, backup in reversed(done):
                if backup is not None:
                    os.replace(backup, destination)
                else:
                    destination.unlink(missing_ok=True)
            raise


def _current_text(path: Path) -> str | None:
    return path.read_text(encoding="utf-8") if path.is_file() else None


def export_tree(contents: Mapping[str, str], tree: AssetTree, target: str, out_dir: Path,
                environment: Mapping[str, str] | None = None) -> ExportReport:
    """Write Superset's export ``contents`` into the tree at ``out_dir``; only files that differ are written.

    Existing objects go to their file's path in the tree, new ones to
    Superset's export path under ``datasets/`` or ``dashboards/``. Nothing is
    written unless every file renders.
    """
    texts, missing, new = render(contents, tree, target, environment)
    check_paths_inside(out_dir, texts)
    sources = {file.source.relative_to(tree.root).as_posix(): file.source for file in tree.files}
    report = ExportReport(missing=missing)
    for relative, text in sorted(texts.items()):
        if relative in new:
            report.added.append(relative)
        elif _current_text(sources[relative]) == text:
            report.unchanged.append(relative)
        else:
            report.changed.append(relative)
    _install({relative: text for relative, text in texts.items() if _current_text(out_dir / relative) != text},
             out_dir)
    return report



def pull(assets: Path, target: str, output: Path, home: Path | None = None, superset_url: str | None = None,
         username: str = "admin") -> ExportReport:
    """What ``superset-divolte export`` does: read a Superset's assets and write them into the tree at ``output``.

    From a running Superset over REST when ``superset_url`` is given, else from
    the local home in this process.
    """
    tree = load_tree(assets)
    if superset_url:
        from superset_divolte.superset_client import connect

        with connect(superset_url, username) as client:
            contents = client.export_assets()
    else:
        from superset_divolte.superset_app import SupersetHome, create_superset_app

        SupersetHome((home or Path(".demo")).resolve()).prepare_environment()
        contents = export_local(create_superset_app(), username)
    return export_tree(contents, tree, target, output)
