#!/usr/bin/env bash
# One-time set-up on a fresh clone: a Node.js >= 22 on the PATH, then the dependencies.
# Run it with `bash scripts/setup.sh`; it prints the PATH line to use in your shell.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=ensure-node.sh
source scripts/ensure-node.sh
npm ci --no-audit --no-fund
npm run build --silent
if [ "$(command -v node)" != "$(PATH="$(getconf PATH)" command -v node 2>/dev/null || true)" ]; then
  echo "setup: Node $(node --version) was installed for this project; in your shell run:"
  echo "  export PATH=\"$(dirname "$(command -v node)"):\$PATH\""
fi
