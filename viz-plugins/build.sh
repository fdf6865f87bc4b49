#!/usr/bin/env bash
# Install the locked npm dependencies and rebuild every plugin bundle into
# superset_divolte/viz_plugins/bundles/ (committed: commit it with the sources).
set -euo pipefail
cd "$(dirname "$0")"
npm ci --no-audit --no-fund
npm run build
