#!/usr/bin/env bash
# Stops the ComfyUI the studio started (found by its pid file, see setup/lib/process.sh), with all its child
# processes: SIGTERM, then SIGKILL after STOP_GRACE_MS (default 10000 ms). A ComfyUI someone started by hand
# is named and left running.
#
# Environment: WORKSPACE_DIR, STATE_DIR, STOP_GRACE_MS.
set -euo pipefail
export LOG_TAG=comfy-kill
# shellcheck source-path=SCRIPTDIR source=../lib/process.sh disable=SC1091
source "$(dirname -- "${BASH_SOURCE[0]}")/../lib/process.sh"

kill_tool ComfyUI comfy-ui '(^|[ /])main\.py( |$)'
