#!/usr/bin/env bash
# `npm start`: works on a fresh clone. Puts a Node.js >= 22 on the PATH (installing Node 24 from the
# npm registry where the system one is older), installs the dependencies if they are missing,
# builds when a source changed since the last build, and runs `wsb-gateway start` (or the command
# given) in place of this shell (exec), so that a signal to this process reaches the gateway.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=ensure-node.sh
source scripts/ensure-node.sh
if [ -L node_modules ]; then
  # Linked from another checkout (a worktree sharing its dependencies): `npm ci` would empty the
  # folder it points to, under the other checkout's feet. Installing is that checkout's business.
  echo "start: node_modules is a link to $(readlink node_modules); not installing through it" >&2
elif [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund >&2
fi
# dist/.build-stamp is touched after every successful build; anything the build reads that is newer
# means dist/ is stale. A script wanting no check at all runs `node dist/src/main.js` directly.
stamp=dist/.build-stamp
if [ ! -f "$stamp" ] || [ ! -f dist/src/main.js ] ||
  [ -n "$(find src migrations tsconfig.json tsconfig.build.json package.json package-lock.json -newer "$stamp" -print -quit)" ]; then
  npm run build --silent >&2
  touch "$stamp"
fi
exec node dist/src/main.js "${@:-start}"
