"""Validation of the asset tree: Superset's own import schemas, then checks across files.

Every problem is collected and reported at once, with the file, the field and
a fix. Needs a Superset application context (the import schemas query the
metadata database); ``superset_app.validation_context()`` provides one.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from typing import Any, Iterable, Iterator

from superset_divolte.assets import (
    TARGETS,
    AssetError,
    AssetTree,
    EnvString,
    Problem,
    resolve_tree,
    walk_fields,
)

PLACEHOLDER = "validation-placeholder"
SECRET_KEYS = re.compile(r"(password|passwd|secret|token|api_key|private_key|credentials)", re.I)
URI_PASSWORD = re.compile(r"^[A-Za-z0-9+.-]+://[^/:@\s]+:([^@\s]+)@")
PASSWORD_MASK = "XXXXXXXXXX"
METRIC_KEYS = ("metric", "metrics", "percent_metrics", "timeseries_limit_metric", "secondary_metric",
               "size", "x", "y", "metric_2")
COLUMN_KEYS = ("groupby", "columns", "all_columns", "x_axis", "series", "entity", "granularity_sqla",
               "temporal_columns_lookup", "order_by_cols")


def _flatten_messages(messages: Any, prefix: str = "") -> Iterator[tuple[str, str]]:
    if isinstance(messages, dict):
        for key, value in messages.items():
            yield from _flatten_messages(value, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(messages, list) and all(isinstance(item, str) for item in messages):
        yield prefix, "; ".join(messages)
    elif isinstance(messages, list):
        for index, item in enumerate(messages):
            yield from _flatten_messages(item, f"{prefix}[{index}]")
    else:
        yield prefix, str(messages)


def _schema_fix(message: str, field: str) -> str:
    if "Unknown field" in message:
        return f"remove '{field}' or correct its spelling (see Superset's export of the same kind of object)"
    if "Missing data for required field" in message:
        return f"add '{field}'"
    if "Not a valid UUID" in message:
        return "use a UUID such as the output of: python -c 'import uuid; print(uuid.uuid4())'"
    return f"correct '{field}' to the type Superset expects"


def schema_problems(tree: AssetTree, resolved: dict[str, dict[str, Any]], target: str) -> list[Problem]:
    """Problems that Superset 6.1.0's own import schemas find, file by file."""
    from marshmallow import ValidationError
    from superset.commands.importers.v1.assets import ImportAssetsCommand

    problems = []
    for file in tree.files:
        schema = ImportAssetsCommand.schemas.get(f"{file.kind}/")
        if schema is None:
            continue
        try:
            schema.load(resolved[file.import_path])
        except ValidationError as error:
            for field, message in _flatten_messages(error.messages):
                problems.append(Problem(file.display_name, field, message,
                                        _schema_fix(message, field)))
    return problems


def secret_problems(tree: AssetTree) -> list[Problem]:
    """Literal secrets in files: they must come from the environment (``!env``)."""
    problems = []
    for file in tree.files:
        for field, value in walk_fields(file.document):
            key = field.rsplit(".", 1)[-1].split("[", 1)[0]
            if isinstance(value, str) and SECRET_KEYS.search(key) and value and value != PASSWORD_MASK:
                problems.append(Problem(file.display_name, field, "a secret is written in the file",
                                        f"write !env \"${{{key.upper()}}}\" and export the value in the environment"))
            match = URI_PASSWORD.match(value) if isinstance(value, str) else None
            if match and match.group(1) != PASSWORD_MASK:
                problems.append(Problem(file.display_name, field, "the URI contains a password",
                                        "write it as !env \"scheme://user:${SOME_PASSWORD}@host/…\""))
    return problems


def _column_of(item: Any) -> Any:
    # Raw tables save their sort columns as JSON text: '["column", true]'.
    if isinstance(item, str) and item.startswith("["):
        try:
            return json.loads(item)[0]
        except (ValueError, IndexError):
            return item
    return item


def _used_names(params: dict[str, Any], keys: Iterable[str]) -> Iterator[tuple[str, Any]]:
    for key in keys:
        value = params.get(key)
        for item in value if isinstance(value, list) else [value]:
            if item is not None:
                yield key, _column_of(item)


def _chart_reference_problems(name: str, chart: dict[str, Any], dataset: dict[str, Any]) -> list[Problem]:
    params = chart.get("params") or {}
    metrics = {metric["metric_name"] for metric in dataset.get("metrics", [])}
    columns = {column["column_name"] for column in dataset.get("columns", [])}
    table = dataset.get("table_name")
    problems = []
    for key, item in _used_names(params, METRIC_KEYS):
        if isinstance(item, str) and item not in metrics:
            problems.append(Problem(name, f"params.{key}", f"metric '{item}' does not exist in dataset '{table}'",
                                    f"use one of {sorted(metrics)} or add the metric to the dataset"))
        elif isinstance(item, dict) and item.get("expressionType") == "SIMPLE":
            column = (item.get("column") or {}).get("column_name")
            if column not in columns:
                problems.append(Problem(name, f"params.{key}", f"column '{column}' does not exist in dataset '{table}'",
                                        "use a column of the dataset"))
    for key, item in _used_names(params, COLUMN_KEYS):
        if isinstance(item, str) and item not in columns:
            problems.append(Problem(name, f"params.{key}", f"column '{item}' does not exist in dataset '{table}'",
                                    f"use one of {sorted(columns)} or add the column to the dataset"))
    for index, condition in enumerate(params.get("adhoc_filters") or []):
        subject = condition.get("subject")
        if condition.get("expressionType") == "SIMPLE" and subject not in columns:
            problems.append(Problem(name, f"params.adhoc_filters[{index}].subject",
                                    f"column '{subject}' does not exist in dataset '{table}'", "filter on a column of the dataset"))
    return problems


def _position_chart_uuids(dashboard: dict[str, Any]) -> list[tuple[str, str]]:
    return [(key, str(node.get("meta", {}).get("uuid")))
            for key, node in (dashboard.get("position") or {}).items()
            if isinstance(node, dict) and node.get("type") == "CHART"]


def reference_problems(tree: AssetTree, resolved: dict[str, dict[str, Any]]) -> list[Problem]:
    """Problems across files: missing databases, datasets, charts, metrics and columns."""
    names = {file.import_path: file.display_name for file in tree.files}
    by_kind: dict[str, dict[str, tuple[str, dict[str, Any]]]] = defaultdict(dict)
    for path, document in resolved.items():
        by_kind[path.split("/", 1)[0]][str(document.get("uuid"))] = (names[path], document)
    problems = []
    for name, dataset in by_kind["datasets"].values():
        if str(dataset.get("database_uuid")) not in by_kind["databases"]:
            problems.append(Problem(name, "database_uuid", f"no database has uuid {dataset.get('database_uuid')}",
                                    "use the uuid of a file under databases/"))
    on_dashboards: set[str] = set()
    for name, dashboard in by_kind["dashboards"].values():
        for key, uuid in _position_chart_uuids(dashboard):
            on_dashboards.add(uuid)
            if uuid not in by_kind["charts"]:
                problems.append(Problem(name, f"position.{key}.meta.uuid", f"no chart has uuid {uuid}",
                                        "use the uuid of a file under charts/ or remove the chart from the layout"))
    for uuid, (name, chart) in by_kind["charts"].items():
        dataset = by_kind["datasets"].get(str(chart.get("dataset_uuid")))
        if dataset is None:
            problems.append(Problem(name, "dataset_uuid", f"no dataset has uuid {chart.get('dataset_uuid')}",
                                    "use the uuid of a file under datasets/"))
        else:
            problems.extend(_chart_reference_problems(name, chart, dataset[1]))
        if uuid not in on_dashboards:
            problems.append(Problem(name, "uuid", "the chart is on no dashboard",
                                    "add it to a dashboard's position (superset import-dashboards only imports charts on dashboards)"))
    return problems


def duplicate_uuid_problems(tree: AssetTree) -> list[Problem]:
    """UUIDs used by more than one file."""
    seen: dict[str, str] = {}
    problems = []
    for file in tree.files:
        uuid = file.document.get("uuid")
        if isinstance(uuid, (EnvString, dict)) or uuid is None:
            continue
        if str(uuid) in seen:
            problems.append(Problem(file.display_name, "uuid", f"uuid {uuid} is also used by {seen[str(uuid)]}",
                                    "give this object a new uuid (python -c 'import uuid; print(uuid.uuid4())')"))
        seen.setdefault(str(uuid), file.display_name)
    return problems


def _unique(problems: Iterable[Problem]) -> list[Problem]:
    return list(dict.fromkeys(problems))


def validate_tree(tree: AssetTree, targets: Iterable[str] = TARGETS) -> list[Problem]:
    """Every problem of the tree for every target; an empty list when it is sound."""
    problems = duplicate_uuid_problems(tree) + secret_problems(tree)
    for target in targets:
        try:
            resolved = resolve_tree(tree, target, placeholder=PLACEHOLDER)
        except AssetError as error:
            problems.extend(error.problems)
            continue
        problems.extend(schema_problems(tree, resolved, target))
        problems.extend(reference_problems(tree, resolved))
    return _unique(problems)

