"""Superset configuration for superset-divolte: point SUPERSET_CONFIG_PATH at this file.

Every setting is decided in ``superset_divolte.config`` from the environment;
secrets (SUPERSET_SECRET_KEY, database passwords) never live in this file.
"""

from superset_divolte.config import apply

apply(globals())
