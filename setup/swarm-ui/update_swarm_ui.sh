#!/usr/bin/env bash
# Updates SwarmUI: git pull (fast-forward only, so local changes are never overwritten), the .NET
# SDK when a new one is needed, and a fresh release build.
#
# Environment: WORKSPACE_DIR (default /workspace).
set -euo pipefail
export LOG_TAG=swarm-ui-update
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh disable=SC1091
source "$(dirname -- "${BASH_SOURCE[0]}")/../lib/common.sh"

[[ -d $SWARM_DIR/.git ]] || die "SwarmUI is not installed in $SWARM_DIR (no git clone there): run Install first"

log "updating SwarmUI in $SWARM_DIR"
git_pull "$SWARM_DIR" || die "SwarmUI was not updated"
# The install script skips the clone, installs .NET only when needed, and builds.
exec bash "$(dirname -- "${BASH_SOURCE[0]}")/install_swarm_ui.sh"
