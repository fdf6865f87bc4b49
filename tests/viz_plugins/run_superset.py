"""Serve a real Superset app on 127.0.0.1 for the viz-plugin tests.

Usage: ``python run_superset.py PORT_FILE``. The config comes from
``SUPERSET_CONFIG_PATH`` as in any Superset deployment. The port is chosen by
the OS (port 0) and written to PORT_FILE once the socket listens, so the
caller never races another process for a port.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from werkzeug.serving import make_server


def main(port_file: Path) -> None:
    """Create the app, bind, announce the port, serve until terminated."""
    from superset.app import create_app

    app = create_app()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    # Written to a temporary name and renamed, so the reader never sees a
    # half-written number.
    partial = port_file.with_suffix(".partial")
    partial.write_text(str(server.port), encoding="utf-8")
    os.replace(partial, port_file)
    server.serve_forever()


if __name__ == "__main__":
    main(Path(sys.argv[1]))
