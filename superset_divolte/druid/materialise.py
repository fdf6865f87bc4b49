"""``superset-divolte druid materialise``: the Druid datasources computed from the clickstream, kept up to date.

Each run refreshes ``sessions`` (``druid.sessions``: one row per session, by day of session start),
``signup_funnel`` (``druid.funnel``: per day, sketches of the visitors by how deep their signup attempts
went) and ``experiments`` (``druid.experiments``: units per experiment, variant and hour of first exposure);
each is idempotent and survives a kill on its own, so the next run starts from whatever the last one left.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Callable

from superset_divolte.druid import experiments, funnel, sessions
from superset_divolte.druid.client import DruidClient

Progress = Callable[[str], None]
DEFAULT_STAGING = Path(tempfile.gettempdir()) / "superset-divolte-staging"


def materialise(client: DruidClient, staging: Path | None = None, progress: Progress = print) -> None:
    """One run of the three materialisations, then how fresh the sessions and experiments are.

    staging: a folder the indexer can read (the local stack's indexer shares this machine's disk).
    """
    folder = staging or DEFAULT_STAGING
    sessions.materialise_sessions(client, folder, progress)
    progress(sessions.freshness(client))
    funnel.materialise_funnel(client, folder, progress)
    experiments.materialise_experiments(client, folder, progress)
    progress(experiments.freshness(client))


def run(client: DruidClient, staging: Path | None, every: float | None, progress: Progress = print) -> None:
    """One run, or one every ``every`` seconds until stopped."""
    while True:
        begun = time.monotonic()
        materialise(client, staging, progress)
        if every is None:
            return
        time.sleep(max(0.0, every - (time.monotonic() - begun)))  # the schedule's pause, not a synchronisation
