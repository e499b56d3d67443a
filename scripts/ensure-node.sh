#!/usr/bin/env bash
# Source this file: puts a Node.js >= 22 on PATH. Where the system's node is older, it installs the
# current LTS (Node 24) from the npm registry, which serves Node itself as the package `node`.
WSB_NODE_DIR="${WSB_NODE_DIR:-$HOME/.cache/wsb-node}"
wsb_node_major() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }
if [ "$(wsb_node_major)" -lt 22 ]; then
  if [ ! -x "$WSB_NODE_DIR/node_modules/.bin/node" ]; then
    echo "ensure-node: system node is $(node --version 2>/dev/null || echo missing); installing node@24 into $WSB_NODE_DIR" >&2
    mkdir -p "$WSB_NODE_DIR"
    npm install --prefix "$WSB_NODE_DIR" --no-save --no-audit --no-fund node@24 >&2
  fi
  export PATH="$WSB_NODE_DIR/node_modules/.bin:$PATH"
fi
echo "ensure-node: using node $(node --version), npm $(npm --version)" >&2
