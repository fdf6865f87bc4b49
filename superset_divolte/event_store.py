"""The embedded event store: the clickstream as a DuckDB table.

The table's columns come from the Avro schema (``event_schema``); the time
field is stored as ``__time``, as Druid names it, so datasets read the same
columns on both engines.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Sequence

import duckdb
import pyarrow as pa

from superset_divolte.event_exclusion import with_included_events
from superset_divolte.event_schema import ID_FIELDS, TIME_COLUMN, TIME_FIELD, duckdb_columns, duckdb_create_table

EVENTS_TABLE = "clickstream"
VIEWS_SQL_PATH = Path(__file__).parent / "schema" / "duckdb_views.sql"
"""The views datasets read beside the event table (``sessions``), made with it."""
DUCKDB_PATH_VARIABLE = "SUPERSET_DIVOLTE_DUCKDB"
"""The environment variable the DuckDB database definition reads its file path from."""
CHUNK_ROWS = 50_000

ProgressCallback = Callable[[int, int], None]


def views_sql() -> str:
    """The statements of ``VIEWS_SQL_PATH``, counting the included events only."""
    return with_included_events(VIEWS_SQL_PATH.read_text(), "duckdb")


def _arrow_chunk(records: Sequence[dict[str, Any]]) -> pa.Table:
    columns: dict[str, pa.Array] = {}
    for name, _ in duckdb_columns():
        source = TIME_FIELD if name == TIME_COLUMN else name
        values = [record[source] for record in records]
        columns[name] = pa.array(values, type=pa.timestamp("ms")) if name == TIME_COLUMN else pa.array(values)
    return pa.table(columns)


_ARROW_TYPES = {"BOOLEAN": pa.bool_(), "INTEGER": pa.int32(), "BIGINT": pa.int64(), "REAL": pa.float32(),
                "DOUBLE": pa.float64(), "VARCHAR": pa.string(), "TIMESTAMP": pa.timestamp("ms")}
_DICTIONARY_STRING = pa.dictionary(pa.int32(), pa.string())


def arrow_batch(rows: Sequence[Sequence[Any]], fields: Sequence[str]) -> pa.Table:
    """Generated rows (tuples in ``fields`` order) as an Arrow table with the event table's columns.

    Repetitive string columns (user agents, URLs, campaigns) are dictionary-encoded:
    the batch shrinks to under half, which is what crosses from a worker process.
    """
    position = {name: index for index, name in enumerate(fields)}
    columns = list(zip(*rows)) if rows else [()] * len(fields)
    return pa.table({name: _arrow_column(name, sql_type, columns[position[TIME_FIELD if name == TIME_COLUMN else name]])
                     for name, sql_type in duckdb_columns()})


def _arrow_column(name: str, sql_type: str, values: Sequence[Any]) -> pa.Array:
    """One column of ``arrow_batch``, typed from the table, so an all-null column still has the table's type."""
    arrow_type = _ARROW_TYPES[sql_type.split()[0]]
    if pa.types.is_timestamp(arrow_type):
        # Python ints convert to int64 in bulk but to timestamps one by one, several times slower.
        return pa.array(values, type=pa.int64()).view(arrow_type)
    if pa.types.is_string(arrow_type) and name not in ID_FIELDS:  # every other string is repetitive
        return pa.array(values, type=_DICTIONARY_STRING)
    return pa.array(values, type=arrow_type)


def insert_batch(connection: duckdb.DuckDBPyConnection, batch: pa.Table, table: str = EVENTS_TABLE) -> None:
    """Insert one Arrow batch into the event table (DuckDB reads the Arrow buffers, no Python rows)."""
    column_list = ", ".join(f'"{name}"' for name, _ in duckdb_columns())
    connection.register("incoming_events", batch)
    try:
        connection.execute(f'INSERT INTO "{table}" ({column_list}) SELECT {column_list} FROM incoming_events')
    finally:
        connection.unregister("incoming_events")


def write_events(database: Path, records: Sequence[dict[str, Any]], table: str = EVENTS_TABLE,
                 progress: ProgressCallback | None = None) -> int:
    """Append ``records`` to the event table in one transaction; returns the rows written.

    Either every record is stored or none is: a failure rolls the whole batch back.
    """
    database.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(database)) as connection:
        return append_events(connection, records, table, progress)


def append_events(connection: duckdb.DuckDBPyConnection, records: Sequence[dict[str, Any]],
                  table: str = EVENTS_TABLE, progress: ProgressCallback | None = None) -> int:
    """Like ``write_events``, on an open connection (the demo's trickle keeps one)."""
    create_table(connection, table)
    connection.execute("BEGIN TRANSACTION")
    try:
        for start in range(0, len(records), CHUNK_ROWS):
            insert_batch(connection, _arrow_chunk(records[start:start + CHUNK_ROWS]), table)
            if progress:
                progress(min(start + CHUNK_ROWS, len(records)), len(records))
        connection.execute("COMMIT")
    except BaseException:
        connection.execute("ROLLBACK")
        raise
    return len(records)


def count_events(database: Path, table: str = EVENTS_TABLE) -> int:
    """Rows in the event table, 0 where the database or table does not exist yet."""
    if not database.exists():
        return 0
    with duckdb.connect(str(database), read_only=True) as connection:
        if not _table_exists(connection, table):
            return 0
        row = connection.execute(f'SELECT count(*) FROM "{table}"').fetchone()
        return int(row[0]) if row else 0


def has_table(database: Path, table: str = EVENTS_TABLE) -> bool:
    """Whether the DuckDB file exists and holds the table."""
    if not database.exists():
        return False
    with duckdb.connect(str(database), read_only=True) as connection:
        return _table_exists(connection, table)


def _table_exists(connection: duckdb.DuckDBPyConnection, table: str) -> bool:
    row = connection.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [table]).fetchone()
    return bool(row and row[0])


def create_table(connection: duckdb.DuckDBPyConnection, table: str = EVENTS_TABLE) -> None:
    """Create the event table unless it exists; for the clickstream, also (re)define its views."""
    connection.execute(duckdb_create_table(table))
    if table == EVENTS_TABLE:
        connection.execute(views_sql())


def ensure_views(database: Path) -> bool:
    """Give an existing event store the current views (a file written before they existed).

    Returns False, changing nothing, where the file or its clickstream table is missing.
    """
    if not has_table(database):
        return False
    with duckdb.connect(str(database)) as connection:
        connection.execute(views_sql())
    return True

