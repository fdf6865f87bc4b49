"""Secrets: weak or placeholder keys are refused, the metadata is private, export writes no credentials."""

from __future__ import annotations

import secrets
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

from conftest import REPO, ProvisionedDemo
from superset_divolte.assets import load_tree
from superset_divolte.bundle import build_bundle, zip_bytes
from superset_divolte.config import SECRET_KEY_VARIABLE, SecretKeyError, secret_key_from
from superset_divolte.export import export_tree
from superset_divolte.superset_app import SupersetHome
from superset_divolte.superset_client import SupersetClient
from superset_server import SupersetServer

WEAK_KEYS = {
    "32 times a": "a" * 32,
    "40 spaces": " " * 40,
    "Superset's documented placeholder": "YOUR_OWN_RANDOM_GENERATED_SECRET_KEY",
    "Superset's docker placeholder": "CHANGE_ME_TO_A_COMPLEX_RANDOM_SECRET",
    "a placeholder in lower case": "please-change_me-to-something-random-and-long",
    "padded words": "k" * 20 + "-unguessable-" + "z" * 20,
    "a repeated pair": "ab" * 24,
}


@pytest.mark.parametrize("name", sorted(WEAK_KEYS))
def test_weak_and_placeholder_keys_are_refused_with_the_command_for_a_good_one(name: str) -> None:
    with pytest.raises(SecretKeyError) as refused:
        secret_key_from({SECRET_KEY_VARIABLE: WEAK_KEYS[name]})
    assert "openssl rand -base64 42" in str(refused.value.code)


def test_keys_the_documented_commands_make_are_accepted() -> None:
    openssl = subprocess.run(["openssl", "rand", "-base64", "42"], capture_output=True, text=True, check=True)
    for key in [openssl.stdout.strip(), secrets.token_urlsafe(42), secrets.token_hex(32)]:
        assert secret_key_from({SECRET_KEY_VARIABLE: key}) == key


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_homes_metadata_and_key_are_private_from_the_first_byte(tmp_path: Path) -> None:
    home = SupersetHome(tmp_path / "home")
    home.prepare_environment({})
    assert _mode(home.metadata_path) == 0o600
    assert _mode(home.secret_key_path) == 0o600


def test_the_demos_metadata_stays_private_after_superset_wrote_it(demo: ProvisionedDemo) -> None:
    metadata = demo.home / "superset.db"
    assert metadata.stat().st_size > 100_000, "Superset's tables are in it"
    assert _mode(metadata) == 0o600


def test_export_without_the_credentials_variable_keeps_the_env_form(tmp_path: Path,
                                                                     superset_server: SupersetServer) -> None:
    root = tmp_path / "tree"
    for folder in ("datasets", "dashboards"):
        shutil.copytree(REPO / folder, root / folder)
    tree = load_tree(root)
    credentials = {"SUPERSET_DIVOLTE_DRUID_CREDENTIALS": "druid_user:druid-Passw0rd@"}
    with SupersetClient(superset_server.base_url, superset_server.username, superset_server.password) as client:
        bundle = build_bundle(tree, "druid", credentials)
        client.import_assets(zip_bytes(bundle), bundle.passwords)
        contents = client.export_assets()
    out = tmp_path / "out"
    shutil.copytree(root, out)
    report = export_tree(contents, tree, "druid", out, {})
    database = "datasets/databases/Clickstream.yaml"
    assert database in report.unchanged
    assert (out / database).read_bytes() == (root / database).read_bytes()
    written = {path: path.read_text() for path in out.rglob("*.yaml")}
    assert not [path for path, text in written.items() if "druid_user" in text or "XXXXXXXXXX" in text]
