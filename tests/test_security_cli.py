"""Remote provision and export: what a hostile server or a user's mistake gets is a message, exit 2, nothing written.

A spoofed "Superset" (a small HTTP server on loopback) answers the export with a
ZIP whose entries climb out of ``-o``; the other cases are a user's own mistakes
against a real Superset 6.1.0 or a port where none listens.
"""

from __future__ import annotations

import contextlib
import http.server
import io
import json
import ssl
import subprocess
import threading
import zipfile
from pathlib import Path
from typing import Iterator

import pytest

from conftest import REPO, run_cli
from superset_divolte.assets import EnvString, dump_yaml
from superset_server import SupersetServer, write_sample_tree
from test_superset_client import closed_port

ESCAPING_ENTRIES = ("assets_export/charts/../../../../outside.yaml", "assets_export/charts/../../../escaped.yaml")


def _hostile_zip(sample_chart: dict) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("assets_export/metadata.yaml", "version: 1.0.0\ntype: assets\n")
        archive.writestr("assets_export/charts/fine.yaml", dump_yaml({**sample_chart, "uuid": "0d0f4f7e-0000-4000-8000-000000000001"}))
        for index, name in enumerate(ESCAPING_ENTRIES):
            archive.writestr(name, dump_yaml({**sample_chart, "uuid": f"0d0f4f7e-0000-4000-8000-00000000001{index}"}))
    return buffer.getvalue()


def _handler(export_zip: bytes) -> type[http.server.BaseHTTPRequestHandler]:
    class SpoofedSuperset(http.server.BaseHTTPRequestHandler):
        def _answer(self, body: bytes, content_type: str = "application/json") -> None:
            self.send_response(200)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self) -> None:  # noqa: N802 (http.server's spelling)
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            self._answer(json.dumps({"access_token": "spoofed"}).encode())

        def do_GET(self) -> None:  # noqa: N802
            if self.path.startswith("/api/v1/assets/export"):
                self._answer(export_zip, "application/zip")
            else:
                self._answer(json.dumps({"result": "spoofed-csrf"}).encode())

        def log_message(self, *_: object) -> None:
            pass

    return SpoofedSuperset


@contextlib.contextmanager
def serving(handler: type[http.server.BaseHTTPRequestHandler],
            tls: ssl.SSLContext | None = None) -> Iterator[str]:
    """An HTTP server on a free loopback port for the block; yields its URL."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"{'https' if tls else 'http'}://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def _files(root: Path) -> dict[str, bytes]:
    return {path.relative_to(root).as_posix(): path.read_bytes() for path in sorted(root.rglob("*")) if path.is_file()}


def _assert_clean_failure(result: subprocess.CompletedProcess[str], *words: str) -> None:
    assert result.returncode == 2, result.stderr[-3000:]
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    for word in words:
        assert word in result.stderr, result.stderr[-3000:]


def test_export_from_a_server_whose_zip_climbs_out_writes_nothing(tmp_path: Path) -> None:
    sample = write_sample_tree(tmp_path / "work" / "deep" / "tree")
    import yaml

    chart = yaml.safe_load(sample.file("dashboards/charts/pages.yaml").read_text())
    before = _files(tmp_path)
    with serving(_handler(_hostile_zip(chart))) as url:
        result = run_cli("export", "--assets", str(sample.root), "-o", str(sample.root), "--superset-url", url,
                         env={**_plain_environment(), "SUPERSET_DIVOLTE_PASSWORD": "x"}, check=False)
    _assert_clean_failure(result, "outside", "nothing was written", "escaped.yaml")
    assert _files(tmp_path) == before


def _plain_environment() -> dict[str, str]:
    from conftest import demo_environment

    return demo_environment()


def _remote(command: str, url: str, tree: Path, password: str = "whatever") -> subprocess.CompletedProcess[str]:
    # Provisioning validates first: the repository's own tree is valid; export writes into the given tree.
    extra = ["--assets", str(tree), "-o", str(tree)] if command == "export" else ["--assets", str(REPO)]
    environment = {**_plain_environment(), "SUPERSET_DIVOLTE_PASSWORD": password,
                   "SUPERSET_DIVOLTE_DUCKDB": str(tree / "clickstream.duckdb")}
    return run_cli(command, *extra, "--superset-url", url, env=environment, check=False)


@pytest.mark.parametrize("command", ["provision", "export"])
def test_closed_port_says_what_to_check(command: str, tmp_path: Path) -> None:
    sample = write_sample_tree(tmp_path / "tree")
    _assert_clean_failure(_remote(command, f"http://127.0.0.1:{closed_port()}", sample.root),
                          "cannot reach Superset", "running")


@pytest.mark.parametrize("command", ["provision", "export"])
def test_url_without_scheme_says_how_to_write_it(command: str, tmp_path: Path) -> None:
    sample = write_sample_tree(tmp_path / "tree")
    _assert_clean_failure(_remote(command, f"127.0.0.1:{closed_port()}", sample.root), "http://HOST:PORT")


@pytest.mark.parametrize("command", ["provision", "export"])
def test_wrong_password_names_user_and_variable(command: str, tmp_path: Path,
                                                superset_server: SupersetServer) -> None:
    sample = write_sample_tree(tmp_path / "tree")
    before = _files(sample.root)
    result = _remote(command, superset_server.base_url, sample.root, password="not-the-password")
    _assert_clean_failure(result, "wrong username or password", "SUPERSET_DIVOLTE_PASSWORD")
    assert "not-the-password" not in result.stderr
    assert _files(sample.root) == before


def test_https_against_plain_http_says_which_scheme(tmp_path: Path, superset_server: SupersetServer) -> None:
    sample = write_sample_tree(tmp_path / "tree")
    url = superset_server.base_url.replace("http://", "https://")
    _assert_clean_failure(_remote("provision", url, sample.root), "https")


def _self_signed(folder: Path) -> ssl.SSLContext:
    key, cert = folder / "key.pem", folder / "cert.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
                    "-days", "1", "-subj", "/CN=127.0.0.1"], check=True, capture_output=True, timeout=60)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    return context


def test_plain_http_against_https_says_which_scheme(tmp_path: Path) -> None:
    sample = write_sample_tree(tmp_path / "tree")
    with serving(_handler(b""), _self_signed(tmp_path)) as url:
        result = _remote("export", url.replace("https://", "http://"), sample.root)
    _assert_clean_failure(result, "cannot reach Superset", "https")


def _databases(server: SupersetServer) -> list[tuple[str, str]]:
    from superset_divolte.superset_client import SupersetClient

    with SupersetClient(server.base_url, server.username, server.password) as client:
        # Superset 6.1 serves a database's URI only from its /connection endpoint.
        return sorted((item["name"], client.get_json(f"/api/v1/database/{item['id']}/connection")["result"]
                       ["sqlalchemy_uri"]) for item in client.list_objects("database"))


@pytest.mark.parametrize("duckdb_path", [None, "data/clickstream.duckdb"])
def test_remote_provision_refuses_a_relative_duckdb_path(duckdb_path: str | None,
                                                         superset_server: SupersetServer) -> None:
    environment = {**_plain_environment(), "SUPERSET_DIVOLTE_PASSWORD": superset_server.password}
    if duckdb_path is not None:
        environment["SUPERSET_DIVOLTE_DUCKDB"] = duckdb_path
    before = _databases(superset_server)
    result = run_cli("provision", "--assets", str(REPO), "--superset-url", superset_server.base_url,
                     env=environment, check=False)
    _assert_clean_failure(result, "Clickstream.yaml: sqlalchemy_uri", "relative path",
                          "export SUPERSET_DIVOLTE_DUCKDB=/absolute/path")
    assert _databases(superset_server) == before


def test_a_variable_set_to_nothing_counts_as_unset() -> None:
    from superset_divolte.assets import UnresolvedVariable, resolve

    template = EnvString("duckdb:///${SUPERSET_DIVOLTE_DUCKDB}")
    with pytest.raises(UnresolvedVariable):
        resolve(template, "duckdb", {"SUPERSET_DIVOLTE_DUCKDB": ""})
    assert resolve(EnvString("${X:-fallback}"), "duckdb", {"X": ""}) == "fallback"
