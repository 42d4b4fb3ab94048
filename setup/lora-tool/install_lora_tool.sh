#!/usr/bin/env bash
# The LoRA-Tool ships with the studio: installing it only means building the studio's code.
set -euo pipefail
REPO_DIR="${REPO_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
cd "$REPO_DIR"
echo "LoRA-Tool: nothing to download; it is part of the studio. Building the studio's code…"
if [[ ! -d node_modules ]]; then
  echo "LoRA-Tool: node_modules is missing; run 'npm ci' in $REPO_DIR first." >&2
  exit 1
fi
npm run build --silent
echo "LoRA-Tool: ready. Datasets live in \$WORKSPACE_DIR/datasets."
