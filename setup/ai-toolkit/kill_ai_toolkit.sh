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

# The tool's port as the studio sets it (AI_TOOLKIT_PORT, default 8675). PORT is not read here: in
# the studio's own environment it may be the studio's port.
port=${AI_TOOLKIT_PORT:-8675}
require_port AI_TOOLKIT_PORT "$port"
UI_DIR="$WORKSPACE_DIR/ai-toolkit/ui"

mapfile -t listeners < <(pids_on_port "$port")
pids=("${listeners[@]}")
for pid in "${listeners[@]}"; do
  while read -r parent; do
    [[ $(pid_cmdline "$parent") == *concurrently* ]] && pids+=("$parent")
  done < <(pid_ancestors "$pid")
done
mapfile -t -O "${#pids[@]}" pids < <(pids_with_cwd "$UI_DIR" '(concurrently|next|worker\.js|fileServer\.js|npm)')

log "stopping AI-Toolkit's UI (port $port)"
stop_processes '(^|[ /])run\.py( |$)' "${pids[@]}"
