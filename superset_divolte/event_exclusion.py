"""Which events the dashboards count, defined once: Divolte's flags and the robots its user agent parser names.

An event is *included* unless Divolte flagged it as corrupt (``detectedCorruption``)
or as a duplicate (``detectedDuplicate``), or its user agent type is ``Robot``.
Every excluded event has exactly one reason, the first of ``EXCLUSION_REASONS``
that holds, so the counts per reason add up to the excluded events. The SQL
predicate of every dataset (both engines), the Druid sessions materialisation and
the Python ground truth all come from the one table below; docs/metrics.md
describes it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Sequence

ROBOT_TYPE = "Robot"
"""The user agent type Divolte's parser (uadetector) gives crawlers and other robots."""


@dataclass(frozen=True)
class ExclusionReason:
    """One reason to leave an event out: its name and the field value that marks it."""

    name: str
    field: str
    value: bool | str

    def holds(self, value: Any) -> bool:
        """Whether an event whose ``field`` is ``value`` is left out for this reason."""
        return value == self.value

    def sql(self, engine: str, alias: str = "") -> str:
        """The condition on ``engine``: true or false, never NULL (so NOT and CASE treat NULL as not flagged).

        Druid ingests Avro booleans as the strings 'true' and 'false'; DuckDB keeps them BOOLEAN.
        """
        column = f'{alias}."{self.field}"' if alias else f'"{self.field}"'
        if isinstance(self.value, bool):
            if engine == "druid":
                return f"COALESCE({column}, 'false') = '{str(self.value).lower()}'"
            return f"COALESCE({column}, {str(not self.value).upper()}) = {str(self.value).upper()}"
        return f"COALESCE({column}, '') = '{self.value}'"


EXCLUSION_REASONS = (
    ExclusionReason("corrupt", "detectedCorruption", True),
    ExclusionReason("duplicate", "detectedDuplicate", True),
    ExclusionReason("bot", "userAgentType", ROBOT_TYPE),
)
"""In order of precedence: an event flagged for several reasons counts under the first."""
REASON_NAMES = tuple(reason.name for reason in EXCLUSION_REASONS)


def exclusion_reason(record: dict[str, Any]) -> str | None:
    """Why an event (a record keyed by field name) is left out, or None when the dashboards count it."""
    for reason in EXCLUSION_REASONS:
        if reason.holds(record[reason.field]):
            return reason.name
    return None


def row_exclusion_reason(row: Sequence[Any], positions: Sequence[int]) -> str | None:
    """``exclusion_reason`` of a row tuple, given the positions of ``EXCLUSION_REASONS``' fields in it."""
    for reason, position in zip(EXCLUSION_REASONS, positions):
        if reason.holds(row[position]):
            return reason.name
    return None


def included_events(records: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """The records every metric counts."""
    return [record for record in records if exclusion_reason(record) is None]


def included_sql(engine: str, alias: str = "") -> str:
    """A SQL predicate true exactly for included events (``alias``: the events table's alias, if any)."""
    return "NOT (" + " OR ".join(reason.sql(engine, alias) for reason in EXCLUSION_REASONS) + ")"


def with_included_events(sql: str, engine: str) -> str:
    """A SQL file's text with its ``{included_events}`` placeholder replaced by ``included_sql(engine)``."""
    return sql.replace("{included_events}", included_sql(engine))


def exclusion_reason_sql(engine: str, alias: str = "") -> str:
    """A SQL expression: the reason an event is excluded ('corrupt', 'duplicate', 'bot'), NULL if included."""
    cases = " ".join(f"WHEN {reason.sql(engine, alias)} THEN '{reason.name}'" for reason in EXCLUSION_REASONS)
    return f"CASE {cases} END"
