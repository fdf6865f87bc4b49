"""Saved query contexts for charts kept as code.

Superset's frontend computes a chart's query context (what ``/api/v1/chart/data``
runs) from its params when a person saves the chart. Charts provisioned from
files have no such save, so the bundle derives the same context from params,
for the chart types this project uses. The importer rewrites the datasource
id to the one the dataset gets in the target.
"""

from __future__ import annotations

import json
from typing import Any, Callable

TIME_COLUMN = "__time"


def _filters(params: dict[str, Any]) -> list[dict[str, Any]]:
    filters = []
    for condition in params.get("adhoc_filters") or []:
        if condition.get("expressionType") != "SIMPLE":
            continue
        if condition.get("operator") == "TEMPORAL_RANGE":
            filters.append({"col": condition["subject"], "op": "TEMPORAL_RANGE", "val": condition["comparator"]})
        else:
            filters.append({"col": condition["subject"], "op": condition["operator"],
                            "val": condition.get("comparator")})
    return filters


def _sql_filters(params: dict[str, Any]) -> str:
    clauses = [f"({condition['sqlExpression']})" for condition in params.get("adhoc_filters") or []
               if condition.get("expressionType") == "SQL" and condition.get("clause", "WHERE") == "WHERE"]
    return " AND ".join(clauses)


def _base_axis(params: dict[str, Any]) -> dict[str, Any]:
    column = params.get("x_axis") or TIME_COLUMN
    return {"timeGrain": params.get("time_grain_sqla") or "P1D", "columnType": "BASE_AXIS",
            "sqlExpression": column, "label": column, "expressionType": "SQL"}


def _metrics(params: dict[str, Any]) -> list[Any]:
    if params.get("metrics"):
        return list(params["metrics"])
    return [params["metric"]] if params.get("metric") else []


def _aggregate_query(params: dict[str, Any]) -> dict[str, Any]:
    metrics = _metrics(params)
    return {
        "columns": list(params.get("groupby") or []),
        "metrics": metrics,
        "orderby": [[metrics[0], False]] if metrics and params.get("order_desc", True) else [],
        "row_limit": params.get("row_limit") or 100,
    }


def _timeseries_query(params: dict[str, Any]) -> dict[str, Any]:
    metrics = _metrics(params)
    return {
        "columns": [_base_axis(params), *(params.get("groupby") or [])],
        "metrics": metrics,
        "orderby": [[metrics[0], False]] if metrics else [],
        "row_limit": params.get("row_limit") or 10_000,
        "series_columns": list(params.get("groupby") or []),
        "series_limit": params.get("limit") or 0,
    }


def _sort_metric(params: dict[str, Any]) -> Any:
    """The chart's 'Sort by' metric when it only orders the x axis (the frontend's extractExtraMetrics)."""
    sort_by = params.get("timeseries_limit_metric")
    sort_by = sort_by[0] if isinstance(sort_by, list) and sort_by else sort_by
    if not sort_by or params.get("groupby") or params.get("x_axis_sort") != _label(sort_by):
        return None
    return None if any(_label(metric) == _label(sort_by) for metric in _metrics(params)) else sort_by


def _label(metric: Any) -> Any:
    return metric.get("label") if isinstance(metric, dict) else metric


def _category_query(params: dict[str, Any]) -> dict[str, Any]:
    query = _aggregate_query({**params, "groupby": [params["x_axis"], *(params.get("groupby") or [])]})
    query["row_limit"] = params.get("row_limit") or 1000
    extra = _sort_metric(params)
    if extra is not None:
        query["metrics"] = [*query["metrics"], extra]
    # Which rows (the row limit) follow 'Sort by' or the first metric; the x axis order is the frontend's.
    sort_by = params.get("timeseries_limit_metric") or (query["metrics"] or [None])[0]
    if sort_by:
        query["orderby"] = [[sort_by, not params.get("order_desc", True)]]
    return query


def _heatmap_query(params: dict[str, Any]) -> dict[str, Any]:
    groupby = params.get("groupby")
    return {"columns": [params["x_axis"], *([groupby] if isinstance(groupby, str) else groupby or [])],
            "metrics": _metrics(params), "orderby": [], "row_limit": params.get("row_limit") or 10_000}


def _order_by_column(entry: Any) -> list[Any]:
    # The frontend saves raw-mode sort columns as JSON text: '["column", true]' (true: ascending).
    if isinstance(entry, str) and entry.startswith("["):
        column, ascending = json.loads(entry)
        return [column, bool(ascending)]
    return [entry, True]


def _table_query(params: dict[str, Any]) -> dict[str, Any]:
    if params.get("query_mode") == "raw":
        return {"columns": list(params.get("all_columns") or []), "metrics": [],
                "orderby": [_order_by_column(entry) for entry in params.get("order_by_cols") or []],
                "row_limit": params.get("row_limit") or 1000}
    query = _aggregate_query(params)
    sort_by = params.get("timeseries_limit_metric")
    if sort_by:
        # 'Sort by' in aggregate mode orders the rows without being shown.
        query["orderby"] = [[sort_by, not params.get("order_desc", True)]]
    return query


def _big_number_trend_query(params: dict[str, Any]) -> dict[str, Any]:
    return {"columns": [_base_axis({**params, "x_axis": TIME_COLUMN})], "metrics": _metrics(params),
            "orderby": [], "row_limit": 10_000}


def _sum_of(column: str, label: str) -> dict[str, Any]:
    return {"expressionType": "SIMPLE", "column": {"column_name": column}, "aggregate": "SUM",
            "label": label, "hasCustomLabel": True, "optionName": f"metric_{label}"}


def _experiment_query(params: dict[str, Any]) -> dict[str, Any]:
    """As the experiment chart's buildQuery: one row per variant and hour of first exposure of one experiment and unit."""
    filters = [{"col": params.get(f"{key}_column") or key, "op": "==", "val": params[key]}
               for key in ("experiment", "unit") if params.get(key)]
    return {
        "columns": [params.get("variant_column") or "variant", params.get("time_column") or TIME_COLUMN],
        "metrics": [_sum_of(params.get("exposed_column") or "exposed", "exposed_units"),
                    _sum_of(params.get("converted_column") or "converted", "converted_units")],
        "orderby": [],
        "row_limit": 1_000_000,
        "extra_filters": filters,
    }


QUERY_BUILDERS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "pie": _aggregate_query,
    "funnel": _aggregate_query,
    "big_number_total": _aggregate_query,
    "big_number": _big_number_trend_query,
    "table": _table_query,
    "echarts_timeseries_line": _timeseries_query,
    "echarts_area": _timeseries_query,
    "echarts_timeseries_bar": lambda params: (
        _timeseries_query(params) if (params.get("x_axis") or TIME_COLUMN) == TIME_COLUMN
        else _category_query(params)),
    "divolte_experiment": _experiment_query,
    "heatmap_v2": _heatmap_query,
}
"""Chart types whose query context the bundle can derive from params."""


def can_build(viz_type: str) -> bool:
    """True when ``build`` knows the chart type."""
    return viz_type in QUERY_BUILDERS


def build(viz_type: str, params: dict[str, Any]) -> str:
    """The query context JSON for a chart, as Superset's frontend would save it."""
    query = QUERY_BUILDERS[viz_type](params)
    if params.get("time_range") and not any(condition.get("operator") == "TEMPORAL_RANGE"
                                            for condition in params.get("adhoc_filters") or []):
        # A chart of a dataset without a time column (the funnel) hands its range to the dataset's
        # Jinja (from_dttm, to_dttm) through the query's time_range, as the frontend does.
        query["time_range"] = params["time_range"]
    query.update({
        "filters": _filters(params) + query.pop("extra_filters", []),
        "extras": {"having": "", "where": _sql_filters(params)},
        "applied_time_extras": {},
        "annotation_layers": [],
        "order_desc": params.get("order_desc", True),
        "url_params": {},
        "custom_params": {},
        "custom_form_data": {},
    })
    context = {
        "datasource": {"id": 0, "type": "table"},
        "force": False,
        "queries": [query],
        "form_data": {**params, "viz_type": viz_type},
        "result_format": "json",
        "result_type": "full",
    }
    return json.dumps(context, sort_keys=True)
