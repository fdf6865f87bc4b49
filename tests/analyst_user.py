"""A non-admin analyst in a Superset home: Gamma, sql_lab, and access to one database and its datasets.

Run as ``python analyst_user.py USERNAME PASSWORD DATABASE_NAME`` with a home's
environment (Superset binds to one home per process); prints nothing on success.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve()
ROLE = "clickstream_analyst"


def add_analyst(environment: dict[str, str], username: str, password: str, database_name: str) -> None:
    """Create the analyst (idempotent) in the home ``environment`` points at, in a child process."""
    result = subprocess.run([sys.executable, str(HERE), username, password, database_name], env=environment,
                            capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stderr[-3000:]


def _add_analyst_child(username: str, password: str, database_name: str) -> None:
    from superset_divolte.superset_app import create_superset_app

    app = create_superset_app()
    from superset import db
    from superset.connectors.sqla.models import SqlaTable
    from superset.models.core import Database

    with app.app_context():
        security = app.appbuilder.sm
        database = db.session.query(Database).filter_by(database_name=database_name).one()
        role = security.find_role(ROLE) or security.add_role(ROLE)
        grants = [("database_access", database.perm)]
        grants += [("datasource_access", table.perm)
                   for table in db.session.query(SqlaTable).filter_by(database_id=database.id)]
        for permission, view in grants:
            security.add_permission_role(role, security.add_permission_view_menu(permission, view))
        if security.find_user(username=username) is None:
            roles = [security.find_role("Gamma"), security.find_role("sql_lab"), role]
            if not security.add_user(username, "Ana", "Lyst", f"{username}@localhost", roles, password):
                raise RuntimeError(f"Superset refused to create {username}")
        db.session.commit()


if __name__ == "__main__":
    _add_analyst_child(*sys.argv[1:4])
