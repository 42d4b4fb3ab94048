#!/usr/bin/env bash
# Starts SwarmUI in the foreground on $LISTEN_HOST:$PORT with its own launcher:
#   ./launch-linux.sh --launch_mode none --host "$LISTEN_HOST" --port "$PORT"
# with the .NET SDK from $WORKSPACE_DIR/.dotnet on PATH.
#
# Environment: PORT (default $SWARMUI_PORT or 7861), LISTEN_HOST (default 127.0.0.1), WORKSPACE_DIR.
set -euo pipefail
export LOG_TAG=swarm-ui
# shellcheck source-path=SCRIPTDIR source=../lib/swarm-ui.sh disable=SC1091
source "$(dirname -- "${BASH_SOURCE[0]}")/../lib/swarm-ui.sh"
# shellcheck source-path=SCRIPTDIR source=../lib/process.sh disable=SC1091
source "$(dirname -- "${BASH_SOURCE[0]}")/../lib/process.sh"

start_port SWARMUI_PORT 7861
listen_host
require_installed SwarmUI "$SWARM_DIR" launch-linux.sh

if [[ -x $DOTNET_DIR/dotnet ]]; then
  dotnet_env
elif ! have dotnet; then
  die ".NET is not installed (no $DOTNET_DIR/dotnet and no dotnet on PATH): ask an admin to run Reinstall for SwarmUI"
fi
[[ -f $COMFY_DIR/main.py ]] || warn "ComfyUI is not installed: SwarmUI's backend (the studio's ComfyUI) cannot start until an admin installs it"

cd -- "$SWARM_DIR"
args=(--launch_mode none --host "$LISTEN_HOST" --port "$PORT")
log "starting SwarmUI on $LISTEN_HOST:$PORT"
write_pid_file swarm-ui
if [[ -x ./launch-linux.sh ]]; then
  exec ./launch-linux.sh "${args[@]}"
fi
exec bash ./launch-linux.sh "${args[@]}"
