#!/usr/bin/env bash
# Updates SwarmUI: git pull (fast-forward only, so local changes are never overwritten), the .NET SDKs when
# new ones are needed, and a fresh release build. Its settings files are SwarmUI's own by now: kept.
#
# Environment: WORKSPACE_DIR (default /workspace).
set -euo pipefail
export LOG_TAG=swarm-ui-update
# shellcheck source-path=SCRIPTDIR source=../lib/swarm-ui.sh disable=SC1091
source "$(dirname -- "${BASH_SOURCE[0]}")/../lib/swarm-ui.sh"

[[ -d $SWARM_DIR/.git ]] || die "SwarmUI is not installed in $SWARM_DIR (no git clone there): run Install first"
swarm_preflight

log "updating SwarmUI in $SWARM_DIR"
git_pull "$SWARM_DIR" || die "SwarmUI was not updated: git could not fast-forward $SWARM_DIR (see above)"
# The install script skips the clone and the settings that are there, installs .NET only when needed, and
# builds.
exec bash "$(dirname -- "${BASH_SOURCE[0]}")/install_swarm_ui.sh"
