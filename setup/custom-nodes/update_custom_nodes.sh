#!/usr/bin/env bash
# Updates every custom node in $WORKSPACE_DIR/ComfyUI/custom_nodes that is a git clone: git pull
# (fast-forward only, so local changes are never overwritten), submodules, requirements.txt into
# ComfyUI's Python environment, and install.py when it has one. A node that fails does not stop
# the others; the last line sums up, and the exit status is non-zero when any failed.
#
# Environment: WORKSPACE_DIR (default /workspace).
set -euo pipefail
export LOG_TAG=custom-nodes
# shellcheck source-path=SCRIPTDIR source=../lib/comfy.sh disable=SC1091
source "$(dirname -- "${BASH_SOURCE[0]}")/../lib/comfy.sh"

NODES_DIR="$COMFY_DIR/custom_nodes"
[[ -d $NODES_DIR ]] || die "ComfyUI is not installed in $COMFY_DIR: install ComfyUI first"
comfy_python >/dev/null || die "ComfyUI's Python environment $COMFY_VENV is missing: install or reinstall ComfyUI first"

ok=()
failed=()
shopt -s nullglob
nodes=("$NODES_DIR"/*/)
shopt -u nullglob

# The hosts the nodes pull from, and the package index for their requirements.
hosts=()
for node in "${nodes[@]}"; do
  [[ -d $node.git ]] && hosts+=("$(git_origin "${node%/}")")
done
preflight "${hosts[@]}" "${PYPI_URLS[@]}"
for node in "${nodes[@]}"; do
  node=${node%/}
  name=${node##*/}
  [[ -d $node/.git ]] || continue
  log "--- $name"
  if ! git_pull "$node" </dev/null; then
    failed+=("$name (git pull failed)")
    continue
  fi
  if [[ -f $node/.gitmodules ]] && ! run git -C "$node" submodule update --init --recursive </dev/null; then
    failed+=("$name (submodules failed)")
    continue
  fi
  if ! comfy_node_requirements "$node" </dev/null; then
    failed+=("$name (requirements or install.py failed)")
    continue
  fi
  ok+=("$name")
done

comfy_nodes_summary updated "${#ok[@]}" "${failed[@]}"
