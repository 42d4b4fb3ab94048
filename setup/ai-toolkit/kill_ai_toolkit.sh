#!/usr/bin/env bash
# Stops AI-Toolkit's UI: whatever listens on its port, the concurrently process that runs it (so it
# is not restarted) and the UI's job worker, with their child processes. Training runs
# (`python run.py ...`) are left running: they do not need the UI, and the UI picks them up again.
# SIGTERM first, SIGKILL after KILL_GRACE_SECONDS (default 10).
#
# Environment: AI_TOOLKIT_PORT (default 8675), WORKSPACE_DIR.
set -euo pipefail
export LOG_TAG=ai-toolkit-kill
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh disable=SC1091
source "$(dirname -- "${BASH_SOURCE[0]}")/../lib/common.sh"

kill_tool "AI-Toolkit's UI" AI_TOOLKIT_PORT "${AI_TOOLKIT_PORT:-8675}" \
  --parent concurrently \
  --cwd "$AITK_DIR/ui" '(concurrently|next|worker\.js|fileServer\.js|npm)' \
  --keep '(^|[ /])run\.py( |$)'
