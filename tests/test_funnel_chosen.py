"""Funnels shaped on the Funnels dashboard: the steps and window picked in native filters reach the funnel SQL.

The dashboard's filters arrive in a chart's query as filters on ``eventType`` (the steps, in the order picked)
and ``conversion_window``; the funnel dataset's Jinja reads them with ``filter_values(..., remove_filter=True)``.
Here they are sent exactly so, through ``POST /api/v1/chart/data``, and the counts are held to the ground truth
for several step lists and windows; bad choices get a JSON error that says what is wrong.
"""

from __future__ import annotations

from typing import Any

import pytest

from superset_divolte import ground_truth
from superset_divolte.sql_macros import window_minutes_of
from superset_divolte.superset_client import SupersetApiError
from test_content import (  # noqa: F401 - fixtures shared with the content tests
    WHOLE_SPAN,
    Runner,
    bounds,
    chart_ids,
    client,
    records,
    runner,
    tree_charts,
    written,
)

CHOSEN = [
    (("pricingView", "signupStart", "signupComplete", "purchase"), "24 hours"),
    (("pageView", "pricingView", "signupStart"), "1 hour"),
    (("signupStart", "signupComplete"), "30 minutes"),
    (("pageView", "click", "signupComplete"), "7 days"),
]


def _with_choices(runner: Runner, stem: str, steps: tuple[str, ...] | list[str], window: str) -> dict[str, Any]:
    context = runner.context(stem)
    for query in context["queries"]:
        query["time_range"] = WHOLE_SPAN
        query["filters"] = [*(query.get("filters") or []),
                            {"col": "eventType", "op": "IN", "val": list(steps)},
                            {"col": "conversion_window", "op": "IN", "val": [window]}]
    context["force"] = True
    return context


def _post(runner: Runner, context: dict[str, Any]) -> dict[str, Any]:
    return runner.client.request("POST", "/api/v1/chart/data", json=context).json()


@pytest.mark.parametrize("steps, window", CHOSEN)
def test_chosen_steps_and_window_equal_the_ground_truth(runner: Runner, records: list[dict[str, Any]],
                                                        steps: tuple[str, ...], window: str) -> None:
    for stem in ("funnel_chosen_steps", "funnel_chosen_steps_table"):
        result = _post(runner, _with_choices(runner, stem, steps, window))["result"][0]
        in_range = ground_truth.in_range(records, *bounds(result))
        expected = ground_truth.funnel_counts(in_range, steps, window_minutes_of(window) * 60_000)
        rows = sorted(result["data"], key=lambda row: expected[steps.index(row["step"])], reverse=True)
        assert {row["step"]: row["visitors"] for row in rows} == dict(zip(steps, expected)), stem
        # The steps filter picks the funnel; it removes no step rows (it is not applied as a row filter).
        assert len(result["data"]) == len(steps)
        assert expected[0] > expected[-1] > 0 or steps[-1] == "purchase"


@pytest.mark.parametrize("steps, window, message", [
    (["pricingView"], "24 hours", "a funnel needs at least two steps"),
    (["pricingView", "signupStart"], "soon", "is not a duration"),
    (["pricingView", "signupStart"], "400 days", "between 1 minute and 366 days"),
    (["pricingView", "sign'up"], "24 hours", "is not an event type"),
])
def test_bad_steps_or_window_get_a_json_error_that_says_what_is_wrong(
        runner: Runner, steps: list[str], window: str, message: str) -> None:
    with pytest.raises(SupersetApiError) as refused:
        _post(runner, _with_choices(runner, "funnel_chosen_steps", steps, window))
    # A JSON answer whose message Superset shows in the chart, not an HTTP 500 page.
    assert refused.value.status == 400, refused.value
    assert message in refused.value.superset_message
