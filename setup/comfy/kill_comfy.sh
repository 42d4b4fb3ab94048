#!/usr/bin/env bash
# Stops ComfyUI: whatever listens on its port, and any ComfyUI (main.py) running from
# $WORKSPACE_DIR/ComfyUI, with all their child processes. SIGTERM first, SIGKILL after
# KILL_GRACE_SECONDS (default 10).
#
# Environment: COMFYUI_PORT (default 8188), WORKSPACE_DIR.
set -euo pipefail
export LOG_TAG=comfy-kill
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh disable=SC1091
source "$(dirname -- "${BASH_SOURCE[0]}")/../lib/common.sh"

# The tool's port as the studio sets it (COMFYUI_PORT, default 8188). PORT is not read here: in
# the studio's own environment it may be the studio's port.
port=${COMFYUI_PORT:-8188}
require_port COMFYUI_PORT "$port"

mapfile -t pids < <(
  pids_on_port "$port"
  pids_with_cwd "$COMFY_DIR" '(^|[ /])main\.py( |$)'
)
log "stopping ComfyUI (port $port)"
stop_processes '' "${pids[@]}"
