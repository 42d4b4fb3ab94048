#!/usr/bin/env bash
# Installs SwarmUI (mcmonkeyprojects/SwarmUI) into $WORKSPACE_DIR/SwarmUI: the code (git), the .NET SDKs its
# own installer installs (launchtools/linux-dotnet-install.sh) into $WORKSPACE_DIR/.dotnet with Microsoft's
# dotnet-install.sh, so they stay on the volume, a release build in src/bin/live_release (what
# launch-linux.sh would otherwise build on its first start), and on the first install its settings files:
# models from the shared models folder, the studio's ComfyUI as its backend (see setup/lib/swarm-ui.sh).
# Running it again is harmless.
#
# Environment: WORKSPACE_DIR (default /workspace), SWARMUI_REPO_URL, DOTNET_INSTALL_URL.
set -euo pipefail
export LOG_TAG=swarm-ui-install
# shellcheck source-path=SCRIPTDIR source=../lib/swarm-ui.sh disable=SC1091
source "$(dirname -- "${BASH_SOURCE[0]}")/../lib/swarm-ui.sh"

swarm_preflight
install_clone SwarmUI "$SWARM_REPO_URL" "$SWARM_DIR"
swarm_install_dotnet
swarm_settings

log "building SwarmUI"
swarm_build

log "SwarmUI is installed in $SWARM_DIR"
