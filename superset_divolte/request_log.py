"""Superset's request log (its ``logs`` table), without the rows of chart-data requests.

Superset's ``DBEventLogger`` writes and commits six rows for every chart-data
request (the request, its SQL, its dataframe, post-processing, ...). A
dashboard asks for its charts' data once per chart per refresh, so twenty viewers
of a 12-chart live dashboard refreshing every 10 s would add 24 rows a second,
each a commit on the metadata database (on SQLite, under its one write lock) and
about a fifth of a chart request's own cost in Superset. Everything else (logins,
dashboard and chart views, explore, SQL Lab, imports) is still logged; set
``SUPERSET_DIVOLTE_LOG_CHART_DATA=1`` to log chart-data requests too.
"""

from __future__ import annotations

import re
from typing import Any, Mapping

from flask import has_request_context, request
from superset.utils.log import DBEventLogger

LOG_CHART_DATA_VARIABLE = "SUPERSET_DIVOLTE_LOG_CHART_DATA"
CHART_DATA_PATH = re.compile(r"^/api/v1/chart/(\d+/)?data/?$")
"""``POST /api/v1/chart/data`` (dashboards, explore) and ``GET /api/v1/chart/<id>/data/`` (cache warm-up)."""


class RequestLogWithoutChartData(DBEventLogger):
    """``DBEventLogger`` that leaves out chart-data requests (see the module's docstring)."""

    def log_with_context(self, action: str, *args: Any, **kwargs: Any) -> None:
        """Log as Superset does, unless the event belongs to a chart-data request."""
        if has_request_context() and CHART_DATA_PATH.match(request.path):
            return
        super().log_with_context(action, *args, **kwargs)


def event_logger_from(environment: Mapping[str, str]) -> DBEventLogger:
    """The event logger for ``EVENT_LOGGER``: Superset's own when chart-data requests are to be logged."""
    if environment.get(LOG_CHART_DATA_VARIABLE, "").strip().lower() in ("1", "true", "yes"):
        return DBEventLogger()
    return RequestLogWithoutChartData()
