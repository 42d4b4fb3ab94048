#!/usr/bin/env bash
# Reinstalls SwarmUI from scratch without losing anything a user made.
#
# The old tree is renamed to SwarmUI.old-{time}, a fresh one is installed, and these are moved back
# into it: Data (settings, users, presets and databases), Models, Output, dlbackend (the backends
# SwarmUI installed, e.g. its own ComfyUI), training_data and src/Extensions. The old tree is kept
# (only its build output is removed), so anything that could not be moved back is still there.
set -euo pipefail
export LOG_TAG=swarm-ui-reinstall
# shellcheck source-path=SCRIPTDIR source=../lib/swarm-ui.sh disable=SC1091
source "$(dirname -- "${BASH_SOURCE[0]}")/../lib/swarm-ui.sh"
# shellcheck source-path=SCRIPTDIR source=../lib/reinstall.sh disable=SC1091
source "$(dirname -- "${BASH_SOURCE[0]}")/../lib/reinstall.sh"
here="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)"

KEEP=(Data Models Output dlbackend training_data src/Extensions)

swarm_preflight
reinstall_keeping SwarmUI "$SWARM_DIR" "$SWARM_REPO_URL" "$here/install_swarm_ui.sh" "${KEEP[@]}"

# The new install works: the old tree's build output can go.
remove_folder "$REINSTALL_OLD/src/bin"
reinstall_done SwarmUI "$REINSTALL_OLD"
