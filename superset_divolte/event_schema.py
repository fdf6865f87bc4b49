"""The clickstream event schema, defined once in ``schema/clickstream.avsc``.

Everything else that describes an event (the DuckDB table, the Druid ingestion
spec, the Divolte mapping) is derived from this module or checked against it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

SCHEMA_RESOURCE = "schema/clickstream.avsc"
TIME_FIELD = "timestamp"
"""The Avro field that becomes the time column (``__time``) on every engine."""
TIME_COLUMN = "__time"
ID_FIELDS = frozenset({"partyId", "sessionId", "pageViewId", "eventId"})
"""String fields holding ids: their values hardly repeat, so encoders do not remember or dictionary-encode them."""


@dataclass(frozen=True)
class EventField:
    """One field of the event record, flattened from its Avro declaration."""

    name: str
    avro_type: str
    nullable: bool
    logical_type: str | None
    doc: str | None

    @property
    def is_time(self) -> bool:
        """True for the field that becomes ``__time``."""
        return self.name == TIME_FIELD


def schema_text() -> str:
    """The Avro schema file's text, exactly as shipped."""
    return resources.files("superset_divolte").joinpath(SCHEMA_RESOURCE).read_text()


@lru_cache(maxsize=1)
def avro_schema() -> dict[str, Any]:
    """The Avro schema as a parsed JSON document."""
    return json.loads(schema_text())


def _flatten(declaration: dict[str, Any]) -> EventField:
    declared = declaration["type"]
    nullable = isinstance(declared, list) and "null" in declared
    if isinstance(declared, list):
        declared = next(branch for branch in declared if branch != "null")
    logical_type = declared.get("logicalType") if isinstance(declared, dict) else None
    avro_type = declared["type"] if isinstance(declared, dict) else declared
    return EventField(
        name=declaration["name"],
        avro_type=avro_type,
        nullable=nullable,
        logical_type=logical_type,
        doc=declaration.get("doc"),
    )


@lru_cache(maxsize=1)
def event_fields() -> tuple[EventField, ...]:
    """Every field of the event record, in schema order."""
    return tuple(_flatten(field) for field in avro_schema()["fields"])


def field_names() -> tuple[str, ...]:
    """Names of every field of the event record, in schema order."""
    return tuple(field.name for field in event_fields())


_DUCKDB_TYPES = {
    "boolean": "BOOLEAN",
    "int": "INTEGER",
    "long": "BIGINT",
    "float": "REAL",
    "double": "DOUBLE",
    "string": "VARCHAR",
}


def duckdb_columns() -> list[tuple[str, str]]:
    """(column, DuckDB type) pairs of the event table.

    The time field becomes ``__time TIMESTAMP`` (as in Druid); every other
    field keeps its Avro name, so SQL written for one engine reads the same
    columns on the other.
    """
    columns = [(TIME_COLUMN, "TIMESTAMP NOT NULL")]
    for field in event_fields():
        if field.is_time:
            continue
        sql_type = _DUCKDB_TYPES[field.avro_type]
        columns.append((field.name, sql_type if field.nullable else f"{sql_type} NOT NULL"))
    return columns


def duckdb_create_table(table: str) -> str:
    """``CREATE TABLE IF NOT EXISTS`` statement for the event table."""
    body = ",\n  ".join(f'"{name}" {sql_type}' for name, sql_type in duckdb_columns())
    return f'CREATE TABLE IF NOT EXISTS "{table}" (\n  {body}\n)'
