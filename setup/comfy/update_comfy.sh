#!/usr/bin/env bash
# Updates ComfyUI: git pull (fast-forward only, so local changes are never overwritten), its
# requirements, ComfyUI-Manager, and the link to the shared models folder.
#
# Environment: WORKSPACE_DIR (default /workspace), SHARED_MODELS_DIR.
set -euo pipefail
export LOG_TAG=comfy-update
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh disable=SC1091
source "$(dirname -- "${BASH_SOURCE[0]}")/../lib/common.sh"

[[ -d $COMFY_DIR/.git ]] || die "ComfyUI is not installed in $COMFY_DIR (no git clone there): run Install first"
comfy_python >/dev/null || die "ComfyUI's Python environment $COMFY_VENV is missing: run Reinstall for ComfyUI"

log "updating ComfyUI in $COMFY_DIR"
# The models link stays out of git's way (see comfy_quiet_git_models); a pull that adds a model
# folder replaces it with a real folder, which comfy_link_models merges into the shared one again.
comfy_quiet_git_models
if ! git_pull "$COMFY_DIR"; then
  comfy_link_models
  die "ComfyUI was not updated"
fi
comfy_link_models
comfy_write_extra_model_paths

pip_install "$COMFY_VENV" -r "$COMFY_DIR/requirements.txt"

manager="$COMFY_DIR/custom_nodes/ComfyUI-Manager"
if [[ -d $manager/.git ]]; then
  log "updating ComfyUI-Manager"
  git_pull "$manager" || warn "ComfyUI-Manager was not updated"
  comfy_node_requirements "$manager" || warn "ComfyUI-Manager's requirements could not be installed"
fi

log "ComfyUI is up to date ($(git -C "$COMFY_DIR" log -1 --format='%h %s' 2>/dev/null || echo 'version unknown'))"
