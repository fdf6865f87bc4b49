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
    TargetChoice,
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
            text = value.template if isinstance(value, EnvString) else value
            match = URI_PASSWORD.match(text) if isinstance(text, str) else None
            if match and match.group(1) != PASSWORD_MASK and "${" not in match.group(1):
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


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _rows(value: Any) -> list[dict[str, Any]]:
    return [row for row in value if isinstance(row, dict)] if isinstance(value, list) else []


def _chart_reference_problems(name: str, chart: dict[str, Any], dataset: dict[str, Any]) -> list[Problem]:
    params = _mapping(chart.get("params"))
    metrics = {metric.get("metric_name") for metric in _rows(dataset.get("metrics"))}
    columns = {column.get("column_name") for column in _rows(dataset.get("columns"))}
    table = dataset.get("table_name")
    problems = []
    for key, item in _used_names(params, METRIC_KEYS):
        if isinstance(item, str) and item not in metrics:
            problems.append(Problem(name, f"params.{key}", f"metric '{item}' does not exist in dataset '{table}'",
                                    f"use one of {sorted(metrics)} or add the metric to the dataset"))
        elif isinstance(item, dict) and item.get("expressionType") == "SIMPLE":
            column = _mapping(item.get("column")).get("column_name")
            if column not in columns:
                problems.append(Problem(name, f"params.{key}", f"column '{column}' does not exist in dataset '{table}'",
                                        "use a column of the dataset"))
    for key, item in _used_names(params, COLUMN_KEYS):
        if isinstance(item, str) and item not in columns:
            problems.append(Problem(name, f"params.{key}", f"column '{item}' does not exist in dataset '{table}'",
                                    f"use one of {sorted(columns)} or add the column to the dataset"))
    for index, condition in enumerate(_rows(params.get("adhoc_filters"))):
        subject = condition.get("subject")
        if condition.get("expressionType") == "SIMPLE" and subject not in columns:
            problems.append(Problem(name, f"params.adhoc_filters[{index}].subject",
                                    f"column '{subject}' does not exist in dataset '{table}'", "filter on a column of the dataset"))
    return problems


def _position_chart_uuids(dashboard: dict[str, Any]) -> list[tuple[str, str]]:
    return [(key, str(_mapping(node.get("meta")).get("uuid")))
            for key, node in _mapping(dashboard.get("position")).items()
            if isinstance(node, dict) and node.get("type") == "CHART"]


SHAPES: dict[str, dict[str, type]] = {
    "charts": {"params": dict},
    "dashboards": {"position": dict, "metadata": dict},
    "datasets": {"columns": list, "metrics": list},
}
"""Fields the checks across files read, and the YAML type each must have."""
ROW_NAMES = {"columns": "column_name", "metrics": "metric_name"}
TYPE_NAMES = {dict: "a mapping (key: value)", list: "a list", str: "a string"}


def _shape_problem(name: str, field: str, expected: type, value: Any) -> Problem:
    return Problem(name, field, f"is {type(value).__name__}, not {TYPE_NAMES[expected]}",
                   f"write '{field}' as {TYPE_NAMES[expected]}, as in Superset's export of the same kind of object")


def _file_shape_problems(name: str, kind: str, document: dict[str, Any]) -> Iterator[Problem]:
    for key, expected in SHAPES.get(kind, {}).items():
        value = document.get(key)
        if value is not None and not isinstance(value, expected):
            yield _shape_problem(name, key, expected, value)
    for key, name_key in ROW_NAMES.items():
        for index, row in enumerate(document.get(key) if kind == "datasets" and isinstance(document.get(key), list) else []):
            if not isinstance(row, dict):
                yield _shape_problem(name, f"{key}[{index}]", dict, row)
            elif not isinstance(row.get(name_key), str) or not row.get(name_key):
                yield Problem(name, f"{key}[{index}].{name_key}", f"the row has no {name_key}",
                              f"give every entry of '{key}' a {name_key}")
    filters = _mapping(document.get("params")).get("adhoc_filters") if kind == "charts" else None
    for index, condition in enumerate(filters if isinstance(filters, list) else []):
        if not isinstance(condition, dict):
            yield _shape_problem(name, f"params.adhoc_filters[{index}]", dict, condition)


def shape_problems(tree: AssetTree, resolved: dict[str, dict[str, Any]]) -> list[Problem]:
    """Fields of the wrong YAML type (a list where Superset keeps a mapping, a row without its name)."""
    return [problem for file in tree.files
            for problem in _file_shape_problems(file.display_name, file.kind, resolved[file.import_path])]


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


SUPERSET_VIZ_TYPES = frozenset({
    "ag-grid-table", "big_number", "big_number_total", "box_plot", "bubble", "bubble_v2", "bullet", "cal_heatmap",
    "cartodiagram", "chord", "compare", "country_map", "echarts_area", "echarts_timeseries",
    "echarts_timeseries_bar", "echarts_timeseries_line", "echarts_timeseries_scatter", "echarts_timeseries_smooth",
    "echarts_timeseries_step", "funnel", "gantt_chart", "gauge_chart", "graph_chart", "handlebars", "heatmap_v2",
    "histogram_v2", "horizon", "mapbox", "mixed_timeseries", "paired_ttest", "para", "partition", "pie",
    "pivot_table_v2", "pop_kpi", "radar", "rose", "sankey_v2", "sunburst_v2", "table", "time_pivot", "time_table",
    "tree_chart", "treemap_v2", "waterfall", "word_cloud", "world_map", "deck_arc", "deck_contour", "deck_geojson",
    "deck_grid", "deck_heatmap", "deck_hex", "deck_multi", "deck_path", "deck_polygon", "deck_scatter",
    "deck_screengrid",
})
"""The chart types Superset 6.1.0's frontend registers (its ``VizType`` enum and the deck.gl layers)."""


def known_viz_types() -> frozenset[str]:
    """Superset's chart types and this add-on's plugins'."""
    from superset_divolte.viz_plugins.registry import PLUGINS

    return SUPERSET_VIZ_TYPES | {plugin.key for plugin in PLUGINS}


def viz_type_problems(tree: AssetTree, resolved: dict[str, dict[str, Any]]) -> list[Problem]:
    """Charts whose ``viz_type`` no chart plugin of this Superset draws."""
    known = known_viz_types()
    problems = []
    for file in tree.of_kind("charts"):
        chart = resolved[file.import_path]
        for field, value in (("viz_type", chart.get("viz_type")), ("params.viz_type", _mapping(chart.get("params")).get("viz_type"))):
            if value is not None and value not in known:
                problems.append(Problem(file.display_name, field, f"'{value}' is not a chart type of Superset 6.1.0 "
                                        "or of superset-divolte's plugins", f"use one of {sorted(known)}"))
    return problems


def version_problems(tree: AssetTree, resolved: dict[str, dict[str, Any]]) -> list[Problem]:
    """Files of an import format this Superset does not read."""
    from superset_divolte.bundle import IMPORT_VERSION

    return [Problem(file.display_name, "version", f"version {resolved[file.import_path]['version']} is not supported",
                    f"write version: {IMPORT_VERSION} (the import format of Superset 6.1.0)")
            for file in tree.files
            if "version" in resolved[file.import_path] and str(resolved[file.import_path]["version"]) != IMPORT_VERSION]


def _rendered_sql(sql: str, template_params: Any) -> str | None:
    """Dataset SQL with its Jinja rendered as a query without a time range would, or None when it needs more.

    The context is this add-on's macros, the dataset's ``template_params``
    and an open time range. A Jinja syntax error raises ``TemplateSyntaxError``.
    """
    from jinja2 import StrictUndefined, TemplateAssertionError
    from jinja2.sandbox import SandboxedEnvironment

    from superset_divolte.sql_macros import JINJA_MACROS

    try:
        template = SandboxedEnvironment(undefined=StrictUndefined).from_string(sql)
    except TemplateAssertionError:
        # A filter only Superset's query-time environment defines (where_in, …).
        return None
    try:
        return template.render({**JINJA_MACROS, "from_dttm": None, "to_dttm": None, **_mapping(template_params)})
    except Exception:  # noqa: BLE001 (a macro given a query's values that are not there may raise anything)
        # Superset's own macros (filter_values, url_param, …) and query values exist only inside a query.
        return None


def sql_problems(tree: AssetTree, resolved: dict[str, dict[str, Any]], target: str) -> list[Problem]:
    """Dataset SQL that Superset's parser (sqlglot, in the target's dialect) cannot read."""
    from jinja2 import TemplateSyntaxError
    from superset.exceptions import SupersetParseError
    from superset.sql.parse import SQLScript

    problems = []
    for file in tree.of_kind("datasets"):
        dataset = resolved[file.import_path]
        sql = dataset.get("sql")
        if not isinstance(sql, str) or not sql.strip():
            continue
        field = "sql[" + target + "]" if isinstance(file.document.get("sql"), TargetChoice) else "sql"
        try:
            rendered = _rendered_sql(sql, dataset.get("template_params"))
            if rendered is not None:
                SQLScript(rendered, target)
        except TemplateSyntaxError as error:
            problems.append(Problem(file.display_name, field, f"Jinja syntax error at line {error.lineno}: {error.message}",
                                    "close every {{ … }} and {% … %} in the SQL"))
        except SupersetParseError as error:
            problems.append(Problem(file.display_name, field, f"does not parse as {target} SQL: {error.error.message}",
                                    f"correct the SQL (it must run on {target}; Superset parses it with sqlglot)"))
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
        problems.extend(shape_problems(tree, resolved))
        problems.extend(version_problems(tree, resolved))
        problems.extend(viz_type_problems(tree, resolved))
        problems.extend(sql_problems(tree, resolved, target))
        problems.extend(reference_problems(tree, resolved))
    return _unique(problems)

