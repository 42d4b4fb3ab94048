#!/usr/bin/env bash
# Reinstalls SwarmUI from scratch without losing anything a user made.
#
# The old tree is renamed to SwarmUI.old-{time}, a fresh one is installed, and these are moved back
# into it: Data (settings, users, presets and databases), Models, Output, dlbackend (the backends
# SwarmUI installed, e.g. its own ComfyUI), training_data and src/Extensions. The old tree is kept
# (only its build output is removed), so anything that could not be moved back is still there.
set -euo pipefail
export LOG_TAG=swarm-ui-reinstall
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh disable=SC1091
source "$(dirname -- "${BASH_SOURCE[0]}")/../lib/common.sh"
here="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)"

SWARM_DIR="$WORKSPACE_DIR/SwarmUI"
SWARM_REPO_URL=${SWARMUI_REPO_URL:-https://github.com/mcmonkeyprojects/SwarmUI.git}
KEEP=(Data Models Output dlbackend training_data src/Extensions)

if [[ ! -e $SWARM_DIR ]]; then
  log "SwarmUI is not installed yet; installing"
  exec bash "$here/install_swarm_ui.sh"
fi

old=$(move_aside "$SWARM_DIR")
log "the old SwarmUI is now $old"

if ! clone_repo_into "$SWARM_REPO_URL" "$SWARM_DIR"; then
  warn "the clone failed; putting the old SwarmUI back"
  [[ -e $SWARM_DIR ]] && merge_into "$SWARM_DIR" "$old"
  [[ -e $SWARM_DIR ]] || mv -- "$old" "$SWARM_DIR"
  die "SwarmUI was not reinstalled (the old one is back in $SWARM_DIR)"
fi
restore_kept "$old" "$SWARM_DIR" "${KEEP[@]}"

bash "$here/install_swarm_ui.sh"

if [[ -d $old/src/bin ]]; then
  run rm -rf -- "$old/src/bin"
fi
log "SwarmUI is reinstalled. The old tree is kept at $old (its code, and any file that could not be moved back);"
log "delete it once the new SwarmUI works."
