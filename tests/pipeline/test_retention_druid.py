"""Retention cohorts on Druid: the ``divolte_retention`` SQL, through Kafka into Druid, equals the ground truth."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Callable

import pytest

from superset_divolte.druid_client import DruidClient
from superset_divolte.events import GeneratorSettings, generate_events
from superset_divolte.ground_truth_retention import retention_cohorts
from superset_divolte.kafka_sink import produce_records
from superset_divolte.local_stack import LocalStack
from superset_divolte.sql_macros import retention_sql

pytestmark = pytest.mark.pipeline

EVENTS = 8_000
END = datetime(2026, 11, 20, tzinfo=timezone.utc)
CONTEXT = {"maxSubqueryRows": 500_000, "useApproximateCountDistinct": False, "useApproximateTopN": False}
"""As the Superset connection asks (datasets/databases/Clickstream.yaml)."""


def _day(epoch_or_text: Any) -> str:
    if isinstance(epoch_or_text, (int, float)):
        return f"{datetime.fromtimestamp(epoch_or_text / 1000, timezone.utc):%Y-%m-%d}"
    return str(epoch_or_text)[:10]


def test_retention_on_druid_equals_the_ground_truth_over_five_weeks(
        stack: LocalStack, druid: DruidClient, stream: str, say: Callable[[str], None]) -> None:
    events = generate_events(GeneratorSettings(seed=23, events=EVENTS, days=35, end=END))
    assert produce_records(stack.kafka_bootstrap, stream, events) == EVENTS
    druid.wait_for_count(stream, EVENTS, 300.0, progress=say)
    rows = druid.sql(retention_sql("druid", 12, table=stream), context=CONTEXT)
    shown: dict[str, dict[int, int]] = {}
    for row in rows:
        shown.setdefault(_day(row["cohort_week"]), {})[int(row["weeks_since_first_visit"])] = int(row["visitors"])
        assert row["retention"] == pytest.approx(row["visitors"] / row["cohort_visitors"], rel=1e-12)
    truth = {f"{cohort:%Y-%m-%d}": cells for cohort, cells in retention_cohorts(events).items()}
    assert len(truth) >= 5
    assert shown == truth
