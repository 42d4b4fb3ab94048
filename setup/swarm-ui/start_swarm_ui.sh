#!/usr/bin/env bash
# Starts SwarmUI in the foreground on $PORT with its own launcher:
#   ./launch-linux.sh --launch_mode none --host 0.0.0.0 --port "$PORT"
# with the .NET SDK from $WORKSPACE_DIR/.dotnet on PATH.
#
# Environment: PORT (default $SWARMUI_PORT or 7861), WORKSPACE_DIR.
set -euo pipefail
export LOG_TAG=swarm-ui
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh disable=SC1091
source "$(dirname -- "${BASH_SOURCE[0]}")/../lib/common.sh"

start_port SWARMUI_PORT 7861
require_installed SwarmUI "$SWARM_DIR" launch-linux.sh

if [[ -x $DOTNET_DIR/dotnet ]]; then
  export DOTNET_ROOT="$DOTNET_DIR"
  export PATH="$DOTNET_DIR:$PATH"
elif ! have dotnet; then
  die ".NET is not installed (no $DOTNET_DIR/dotnet and no dotnet on PATH): ask an admin to run Reinstall for SwarmUI"
fi
export DOTNET_CLI_TELEMETRY_OPTOUT=1
export NUGET_PACKAGES="$WORKSPACE_DIR/.nuget/packages"

cd -- "$SWARM_DIR"
args=(--launch_mode none --host 0.0.0.0 --port "$PORT")
log "starting SwarmUI on port $PORT"
if [[ -x ./launch-linux.sh ]]; then
  exec ./launch-linux.sh "${args[@]}"
fi
exec bash ./launch-linux.sh "${args[@]}"
