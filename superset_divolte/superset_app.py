"""A Superset home on this machine and the Superset application running in this process.

A home is a folder holding Superset's SQLite metadata, its config file and
the secret key made for it; nothing goes to ``~/.superset``. Superset reads
its configuration once per process, at import, so the environment is prepared
before ``superset`` is first imported.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Iterator, MutableMapping

from superset_divolte.config import HOME_VARIABLE, METADATA_URI_VARIABLE, SECRET_KEY_VARIABLE

if TYPE_CHECKING:
    from flask import Flask

CONFIG_FILE_TEXT = '''"""Superset configuration of this superset-divolte home (written by superset-divolte)."""

from superset_divolte.config import apply

apply(globals())
'''
ADMIN_USERNAME = "admin"
ADMIN_PASSWORD_VARIABLE = "SUPERSET_DIVOLTE_ADMIN_PASSWORD"
SUPERSET_VERSION = "6.1.0"


@dataclass(frozen=True)
class SupersetHome:
    """The folder of one Superset environment."""

    path: Path

    @property
    def config_path(self) -> Path:
        """The file ``SUPERSET_CONFIG_PATH`` points at."""
        return self.path / "superset_config.py"

    @property
    def metadata_path(self) -> Path:
        """Superset's SQLite metadata database."""
        return self.path / "superset.db"

    @property
    def secret_key_path(self) -> Path:
        """The secret key made for this home (only when none comes from the environment)."""
        return self.path / "secret_key"

    @property
    def initialized_marker(self) -> Path:
        """Present once the metadata is migrated and roles are set up for this Superset version."""
        return self.path / f".initialized-{SUPERSET_VERSION}"

    def _secret_key(self) -> str:
        if not self.secret_key_path.exists():
            _create_private(self.secret_key_path, secrets.token_urlsafe(48))
        return self.secret_key_path.read_text().strip()

    def _keep_metadata_private(self) -> None:
        if not self.metadata_path.exists():
            # SQLite takes an empty file for a new database, and keeps this file's mode.
            _create_private(self.metadata_path, "")
        self.metadata_path.chmod(0o600)

    def prepare_environment(self, environment: MutableMapping[str, str] | None = None) -> None:
        """Point Superset at this home: config file, metadata, secret key (made once, kept private).

        The metadata holds password hashes and encrypted database credentials:
        like the key, it is readable by its owner only.
        """
        environment = os.environ if environment is None else environment
        self.path.mkdir(parents=True, exist_ok=True)
        if not self.config_path.exists():
            self.config_path.write_text(CONFIG_FILE_TEXT)
        environment[HOME_VARIABLE] = str(self.path)
        environment["SUPERSET_CONFIG_PATH"] = str(self.config_path)
        environment.setdefault(METADATA_URI_VARIABLE, f"sqlite:///{self.metadata_path}")
        if environment[METADATA_URI_VARIABLE] == f"sqlite:///{self.metadata_path}":
            self._keep_metadata_private()
        if not environment.get(SECRET_KEY_VARIABLE):
            environment[SECRET_KEY_VARIABLE] = self._secret_key()


def _create_private(path: Path, text: str) -> None:
    """Write a new file that only its owner can read, from the first byte on."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as file:
        file.write(text)


def create_superset_app() -> "Flask":
    """Superset's Flask application, configured from the environment prepared before."""
    from superset.app import create_app

    return create_app()


def upgrade_metadata(app: "Flask") -> None:
    """Bring the metadata database to this Superset version's schema (a no-op when it is there)."""
    import superset
    from flask_migrate import upgrade

    with app.app_context():
        upgrade(directory=str(Path(superset.__file__).parent / "migrations"))


def sync_roles(app: "Flask") -> None:
    """What ``superset init`` does: permissions and the built-in roles, committed."""
    from superset import db

    with app.app_context():
        app.appbuilder.add_permissions(update_perms=True)
        app.appbuilder.sm.sync_role_definitions()
        # ``superset init`` commits through its @transaction decorator; the role sync itself does not.
        db.session.commit()


def ensure_admin(app: "Flask", password: str | None = None, username: str = ADMIN_USERNAME) -> str | None:
    """Create the admin user if missing; returns the password when one was made up, else None."""
    with app.app_context():
        security = app.appbuilder.sm
        if security.find_user(username=username):
            return None
        made_up = password is None
        password = password or secrets.token_urlsafe(12)
        role = security.find_role(security.auth_role_admin)
        if not security.add_user(username, "Superset", "Admin", f"{username}@localhost", role, password):
            raise RuntimeError(f"Superset refused to create the user {username!r}")
        return password if made_up else None


def initialize(home: SupersetHome, app: "Flask") -> None:
    """Migrate the metadata and set up roles once per home and Superset version."""
    if home.initialized_marker.exists():
        return
    upgrade_metadata(app)
    sync_roles(app)
    home.initialized_marker.touch()


@contextlib.contextmanager
def validation_context() -> Iterator["Flask"]:
    """An application context on a throwaway metadata database, for validating files.

    Inside ``superset divolte`` Superset's own application context is used as
    it is. Otherwise a temporary home with an ephemeral key, whose tables are
    created directly: validation never writes to a real environment's metadata.
    """
    from flask import current_app, has_app_context

    if has_app_context():
        yield current_app
        return
    with tempfile.TemporaryDirectory(prefix="superset-divolte-validate-") as scratch:
        home = SupersetHome(Path(scratch))
        os.environ[METADATA_URI_VARIABLE] = f"sqlite:///{home.metadata_path}"
        home.prepare_environment()
        app = create_superset_app()
        with app.app_context():
            from flask_appbuilder import Model
            from superset import db
            # The importer's modules bring every model the import schemas query.
            from superset.commands.importers.v1 import assets  # noqa: F401

            Model.metadata.create_all(db.engine)
            yield app
