#!/usr/bin/env bash
# Installs SwarmUI (mcmonkeyprojects/SwarmUI) into $WORKSPACE_DIR/SwarmUI: the code (git), the .NET
# SDK it targets (8.0 unless its project file names another) into $WORKSPACE_DIR/.dotnet with
# Microsoft's dotnet-install.sh, so it stays on the volume, and a release build in
# src/bin/live_release (what launch-linux.sh would otherwise build on its first start).
# Running it again is harmless.
#
# Environment: WORKSPACE_DIR (default /workspace), SWARMUI_REPO_URL, DOTNET_INSTALL_URL.
set -euo pipefail
export LOG_TAG=swarm-ui-install
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh disable=SC1091
source "$(dirname -- "${BASH_SOURCE[0]}")/../lib/common.sh"

DOTNET_INSTALL_URL=${DOTNET_INSTALL_URL:-https://dot.net/v1/dotnet-install.sh}

have curl || die "curl is not installed"
install_clone SwarmUI "$SWARM_REPO_URL" "$SWARM_DIR"

# The .NET channel SwarmUI's project targets (net8.0 -> 8.0); 8.0 when it cannot be read.
channel=$(sed -n 's/.*<TargetFramework>net\([0-9][0-9]*\.[0-9][0-9]*\)<.*/\1/p' "$SWARM_DIR/src/SwarmUI.csproj" 2>/dev/null | head -n 1 || true)
[[ $channel =~ ^[0-9]+\.[0-9]+$ ]] || channel=8.0

if [[ -x $DOTNET_DIR/dotnet ]] && "$DOTNET_DIR/dotnet" --list-sdks 2>/dev/null | grep -q "^${channel//./\\.}\."; then
  log ".NET SDK $channel is already in $DOTNET_DIR"
else
  log "installing the .NET SDK $channel into $DOTNET_DIR"
  mkdir -p -- "$DOTNET_DIR"
  installer="$DOTNET_DIR/dotnet-install.sh"
  run curl -fsSL --retry 3 -o "$installer" "$DOTNET_INSTALL_URL"
  run bash "$installer" --channel "$channel" --install-dir "$DOTNET_DIR"
  rm -f -- "$installer"
fi
[[ -x $DOTNET_DIR/dotnet ]] || die ".NET was not installed into $DOTNET_DIR"

export DOTNET_ROOT="$DOTNET_DIR"
export PATH="$DOTNET_DIR:$PATH"
export DOTNET_CLI_TELEMETRY_OPTOUT=1
export NUGET_PACKAGES="$WORKSPACE_DIR/.nuget/packages"

log "building SwarmUI"
cd -- "$SWARM_DIR"
run dotnet build src/SwarmUI.csproj --configuration Release -o ./src/bin/live_release
git rev-parse HEAD >src/bin/last_build

log "SwarmUI is installed in $SWARM_DIR; its first start shows SwarmUI's own setup page"
