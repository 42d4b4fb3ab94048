#!/usr/bin/env bash
# Updates ComfyUI: git pull (fast-forward only, so local changes are never overwritten), its requirements,
# ComfyUI-Manager (the comfyui_manager version manager_requirements.txt pins now), and the link to the
# shared models folder.
#
# Environment: WORKSPACE_DIR (default /workspace), SHARED_MODELS_DIR.
set -euo pipefail
export LOG_TAG=comfy-update
# shellcheck source-path=SCRIPTDIR source=../lib/comfy.sh disable=SC1091
source "$(dirname -- "${BASH_SOURCE[0]}")/../lib/comfy.sh"

[[ -d $COMFY_DIR/.git ]] || die "ComfyUI is not installed in $COMFY_DIR (no git clone there): run Install first"
comfy_python >/dev/null || die "ComfyUI's Python environment $COMFY_VENV is missing: run Reinstall for ComfyUI"
comfy_preflight

log "updating ComfyUI in $COMFY_DIR"
# The models link stays out of git's way (see comfy_quiet_git_models); a pull that adds a model
# folder replaces it with a real folder, which comfy_link_models merges into the shared one again.
comfy_quiet_git_models
if ! git_pull "$COMFY_DIR"; then
  comfy_link_models
  die "ComfyUI was not updated: git could not fast-forward $COMFY_DIR (see above)"
fi
comfy_link_models
comfy_write_extra_model_paths

pip_install "$COMFY_VENV" -r "$COMFY_DIR/requirements.txt"
comfy_manager

log "ComfyUI is up to date ($(git_head "$COMFY_DIR"))"
