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

# The tool's port as the studio sets it (SWARMUI_PORT, default 7861). PORT is not read here: in
# the studio's own environment it may be the studio's port.
port=${SWARMUI_PORT:-7861}
require_port SWARMUI_PORT "$port"
SWARM_DIR="$WORKSPACE_DIR/SwarmUI"

mapfile -t listeners < <(pids_on_port "$port")
pids=("${listeners[@]}")
for pid in "${listeners[@]}"; do
  while read -r parent; do
    [[ $(pid_cmdline "$parent") == *launch-linux.sh* ]] && pids+=("$parent")
  done < <(pid_ancestors "$pid")
done
mapfile -t -O "${#pids[@]}" pids < <(pids_with_cwd "$SWARM_DIR" '(SwarmUI\.dll|launch-linux\.sh)')

log "stopping SwarmUI (port $port)"
stop_processes '' "${pids[@]}"
