#!/usr/bin/env bash
# `npm start`: works on a fresh clone. Puts a Node.js >= 22 on the PATH (installing Node 24 from the
# npm registry where the system one is older), installs the dependencies if they are missing,
# builds, and runs `wsb-gateway start` (or the command given).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=ensure-node.sh
source scripts/ensure-node.sh
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund >&2
fi
npm run build --silent >&2
exec node dist/src/main.js "${@:-start}"
