"""Looking into a Superset home from a child process (Superset binds to one home per process).

Run as ``python home_tools.py inventory`` with a home's environment: prints every
asset's exported document by UUID, with the row id, as JSON.
``python home_tools.py provision-raw ASSETS TARGET BREAK`` imports a bundle
without validation, after breaking one chart, to test that a failure half way
leaves the metadata as it was.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve()


def run_in_home(environment: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """Run this file with ``args`` in the given home environment."""
    return subprocess.run([sys.executable, str(HERE), *args], env=environment, capture_output=True, text=True,
                          timeout=600, check=False)


def inventory(environment: dict[str, str]) -> dict[str, Any]:
    """Every asset of the home by UUID: its kind, row id and exported document."""
    result = run_in_home(environment, "inventory")
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def _inventory_child() -> None:
    import yaml

    from superset_divolte.export import export_local
    from superset_divolte.superset_app import create_superset_app

    app = create_superset_app()
    from superset import db
    from superset.connectors.sqla.models import SqlaTable
    from superset.models.core import Database
    from superset.models.dashboard import Dashboard
    from superset.models.slice import Slice

    with app.app_context():
        ids = {str(row.uuid): row.id for model in (Database, SqlaTable, Slice, Dashboard)
               for row in db.session.query(model).all()}
    contents = export_local(app)
    documents = {}
    for path, text in contents.items():
        kind = path.split("/", 1)[0]
        if kind in ("databases", "datasets", "charts", "dashboards"):
            document = yaml.safe_load(text)
            documents[str(document["uuid"])] = {"kind": kind, "id": ids[str(document["uuid"])], "document": document}
    print(json.dumps(documents, sort_keys=True, default=str))


def _provision_raw_child(assets: str, target: str) -> None:
    """Bundle the tree, point the last chart at a dataset the bundle lacks, import without validating."""
    from superset_divolte.assets import load_tree
    from superset_divolte.bundle import build_bundle
    from superset_divolte.provision import ProvisionError, provision_local
    from superset_divolte.superset_app import create_superset_app

    bundle = build_bundle(load_tree(Path(assets)), target)
    for path in sorted(bundle.documents):
        if path.startswith("datasets/"):
            bundle.documents[path]["description"] = "changed by a bundle that fails later"
    last_chart = sorted(path for path in bundle.documents if path.startswith("charts/"))[-1]
    bundle.documents[last_chart]["dataset_uuid"] = "00000000-0000-4000-8000-00000000dead"
    try:
        provision_local(create_superset_app(), bundle)
    except ProvisionError as error:
        print(f"ProvisionError: {error}")
        return
    sys.exit("the broken bundle was imported")


if __name__ == "__main__":
    command = sys.argv[1]
    if command == "inventory":
        _inventory_child()
    elif command == "provision-raw":
        _provision_raw_child(sys.argv[2], sys.argv[3])
    else:
        sys.exit(f"unknown command {command}")
