"""superset_config.py: Superset refuses to start without a safe secret key, and says how to make one."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys

import pytest

from conftest import REPO

START_SUPERSET = "from superset.app import create_app; create_app(); print('started')"


def start_with(secret_key: str | None, tmp_path) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("SUPERSET_")}
    environment.update(SUPERSET_CONFIG_PATH=str(REPO / "superset_config.py"), SUPERSET_HOME=str(tmp_path))
    if secret_key is not None:
        environment["SUPERSET_SECRET_KEY"] = secret_key
    return subprocess.run([sys.executable, "-c", START_SUPERSET], env=environment, capture_output=True,
                          text=True, timeout=300, check=False)


@pytest.mark.parametrize(("secret_key", "reason"), [
    (None, "SUPERSET_SECRET_KEY is not set"),
    ("CHANGE_ME_TO_A_COMPLEX_RANDOM_SECRET", "well-known default"),
    ("short-key", "use at least 32"),
    ("a" * 32, "too predictable"),
    ("YOUR_OWN_RANDOM_GENERATED_SECRET_KEY", "placeholder"),
])
def test_superset_stops_with_a_clear_message(secret_key: str | None, reason: str, tmp_path) -> None:
    result = start_with(secret_key, tmp_path)
    assert result.returncode != 0
    assert "started" not in result.stdout
    assert reason in result.stderr
    assert "openssl rand -base64 42" in result.stderr


def test_superset_starts_with_a_good_key(tmp_path) -> None:
    result = start_with(secrets.token_urlsafe(42), tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "started" in result.stdout
