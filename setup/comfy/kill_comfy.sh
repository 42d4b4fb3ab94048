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

kill_tool ComfyUI COMFYUI_PORT "${COMFYUI_PORT:-8188}" \
  --cwd "$COMFY_DIR" '(^|[ /])main\.py( |$)'
