#!/usr/bin/env bash
# Starts the LoRA-Tool (dataset captioning helper) in the foreground.
# Environment: PORT (default 3000), WORKSPACE_DIR, STATE_DIR, REPO_DIR, STUDIO_USER, HF_HOME.
set -euo pipefail

REPO_DIR="${REPO_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
MAIN="$REPO_DIR/dist/lora-tool/server/main.js"

if [[ ! -f "$MAIN" ]]; then
  echo "LoRA-Tool: the build is missing ($MAIN)." >&2
  echo "LoRA-Tool: run 'npm run build' in $REPO_DIR (or the tool's install action), then start it again." >&2
  exit 1
fi

if ! command -v node >/dev/null 2>&1; then
  echo "LoRA-Tool: node is not installed or not on PATH." >&2
  exit 1
fi

export PORT="${PORT:-3000}"
echo "LoRA-Tool: starting on port $PORT for ${STUDIO_USER:-nobody in particular}."
exec node "$MAIN"
