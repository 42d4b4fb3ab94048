#!/usr/bin/env bash
# Reinstalls ComfyUI from scratch without losing anything a user made.
#
# The old tree is renamed to ComfyUI.old-{time}, ComfyUI is cloned fresh, and these are moved back
# into it: output, input, user (workflows and settings), custom_nodes (every installed node) and a
# hand-written extra_model_paths.yaml. Models are in the shared models folder and are not moved at
# all. Then the Python environment is built again, with every custom node's requirements.
# The old tree is kept (only its Python environment is removed once the new one works), so
# anything that could not be moved back is still there; the last lines say where.
set -euo pipefail
export LOG_TAG=comfy-reinstall
# shellcheck source-path=SCRIPTDIR source=../lib/comfy.sh disable=SC1091
source "$(dirname -- "${BASH_SOURCE[0]}")/../lib/comfy.sh"
# shellcheck source-path=SCRIPTDIR source=../lib/reinstall.sh disable=SC1091
source "$(dirname -- "${BASH_SOURCE[0]}")/../lib/reinstall.sh"
# shellcheck source-path=SCRIPTDIR source=../lib/process.sh disable=SC1091
source "$(dirname -- "${BASH_SOURCE[0]}")/../lib/process.sh"
here="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)"

install_when_missing ComfyUI "$COMFY_DIR" "$here/install_comfy.sh"

if [[ -n $(tool_pids comfy-ui '(^|[ /])main\.py( |$)') ]]; then
  die "ComfyUI is running: stop it before a reinstall"
fi
comfy_preflight

old=$(move_aside "$COMFY_DIR")
log "the old ComfyUI is now $old"

# The old models folder: a link to the shared folder (nothing to do), or a real folder whose
# files go into the shared folder.
if [[ -d $old/models && ! -L $old/models ]]; then
  log "moving the old models into $SHARED_MODELS_DIR"
  mkdir -p -- "$SHARED_MODELS_DIR"
  merge_into "$old/models" "$SHARED_MODELS_DIR"
fi

log "cloning ComfyUI again"
clone_again ComfyUI "$COMFY_REPO_URL" "$COMFY_DIR" "$old"

restore_kept "$old" "$COMFY_DIR" output input user custom_nodes
if [[ -f $old/extra_model_paths.yaml ]] && ! grep -qxF "$EXTRA_MODEL_PATHS_HEADER" "$old/extra_model_paths.yaml"; then
  restore_kept "$old" "$COMFY_DIR" extra_model_paths.yaml
fi

status=0
bash "$here/install_comfy.sh" || status=$?
if ((status)); then
  warn "the old ComfyUI is kept at $old"
  fail_after "$status"
fi

log "installing the requirements of every custom node"
failed=()
shopt -s nullglob
for node in "$COMFY_DIR"/custom_nodes/*/; do
  node=${node%/}
  [[ ${node##*/} == ComfyUI-Manager ]] && continue
  [[ -d $node/.git || -f $node/requirements.txt || -f $node/install.py ]] || continue
  log "custom node ${node##*/}"
  comfy_node_requirements "$node" || failed+=("${node##*/}")
done
shopt -u nullglob

remove_venv "$old/venv"
reinstall_done ComfyUI "$old"
if ((${#failed[@]})); then
  die "these custom nodes' requirements failed: ${failed[*]}"
fi
