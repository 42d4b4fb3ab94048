#!/usr/bin/env bash
# Stops SwarmUI: whatever listens on its port, the launch-linux.sh that started it (so it does not
# start it again) and any SwarmUI running from $WORKSPACE_DIR/SwarmUI, with their child processes
# (such as the ComfyUI backend SwarmUI runs). SIGTERM first, SIGKILL after KILL_GRACE_SECONDS.
#
# Environment: SWARMUI_PORT (default 7861), WORKSPACE_DIR.
set -euo pipefail
export LOG_TAG=swarm-ui-kill
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh disable=SC1091
source "$(dirname -- "${BASH_SOURCE[0]}")/../lib/common.sh"

kill_tool SwarmUI SWARMUI_PORT "${SWARMUI_PORT:-7861}" \
  --parent launch-linux.sh \
  --cwd "$SWARM_DIR" '(SwarmUI\.dll|launch-linux\.sh)'
