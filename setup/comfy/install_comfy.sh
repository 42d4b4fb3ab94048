#!/usr/bin/env bash
# Installs ComfyUI into $WORKSPACE_DIR/ComfyUI: the code (git), a Python environment in ComfyUI/venv with
# a CUDA build of PyTorch and ComfyUI's requirements, and ComfyUI-Manager (the comfyui_manager package
# pinned in ComfyUI's manager_requirements.txt; start_comfy.sh switches it on with --enable-manager).
# Models live in the shared folder $WORKSPACE_DIR/models (ComfyUI/models links to it and
# extra_model_paths.yaml names it), so they survive a reinstall.
# Running it again is harmless: it skips what is there and brings the rest up to date.
#
# Environment: WORKSPACE_DIR (default /workspace), SHARED_MODELS_DIR (default $WORKSPACE_DIR/models),
# COMFY_REPO_URL, TORCH_INDEX_URL (default: picked from nvidia-smi).
set -euo pipefail
export LOG_TAG=comfy-install
# shellcheck source-path=SCRIPTDIR source=../lib/comfy.sh disable=SC1091
source "$(dirname -- "${BASH_SOURCE[0]}")/../lib/comfy.sh"

comfy_preflight
install_clone ComfyUI "$COMFY_REPO_URL" "$COMFY_DIR"

log "Python environment"
make_venv "$COMFY_VENV"
install_torch "$COMFY_VENV"
pip_install "$COMFY_VENV" -r "$COMFY_DIR/requirements.txt"

log "shared models folder"
comfy_link_models
comfy_write_extra_model_paths
mkdir -p -- "$COMFY_DIR/output" "$COMFY_DIR/input" "$COMFY_DIR/user/default/workflows" "$COMFY_DIR/custom_nodes"

comfy_manager

log "ComfyUI is installed in $COMFY_DIR (models in $SHARED_MODELS_DIR)"
