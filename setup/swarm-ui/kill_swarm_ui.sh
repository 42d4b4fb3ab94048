#!/usr/bin/env bash
# Stops the SwarmUI the studio started (found by its pid file, see setup/lib/process.sh): its launcher
# launch-linux.sh (so it does not start SwarmUI again) with every child process, such as the ComfyUI backend
# SwarmUI runs. SIGTERM first, SIGKILL after STOP_GRACE_MS (default 10000 ms). A SwarmUI someone started by
# hand is named and left running.
#
# Environment: WORKSPACE_DIR, STATE_DIR, STOP_GRACE_MS.
set -euo pipefail
export LOG_TAG=swarm-ui-kill
# shellcheck source-path=SCRIPTDIR source=../lib/process.sh disable=SC1091
source "$(dirname -- "${BASH_SOURCE[0]}")/../lib/process.sh"

kill_tool SwarmUI swarm-ui 'launch-linux\.sh'
