#!/usr/bin/env bash
# Updates AI-Toolkit: git pull (fast-forward only, so local changes are never overwritten), submodules, the
# Python environment with the PyTorch versions manager/spec.py pins now (reinstalled when they moved), its
# requirements, and the web UI (npm ci, update_db, build).
#
# Environment: WORKSPACE_DIR (default /workspace), TORCH_INDEX_URL, AITK_PYTHON, AITK_TORCH_PACKAGES.
set -euo pipefail
export LOG_TAG=ai-toolkit-update
# shellcheck source-path=SCRIPTDIR source=../lib/ai-toolkit.sh disable=SC1091
source "$(dirname -- "${BASH_SOURCE[0]}")/../lib/ai-toolkit.sh"

[[ -d $AITK_DIR/.git ]] || die "AI-Toolkit is not installed in $AITK_DIR (no git clone there): run Install first"
have npm || die "Node.js and npm are needed for AI-Toolkit's UI, and npm is not installed"
aitk_preflight

log "updating AI-Toolkit in $AITK_DIR"
git_pull "$AITK_DIR" || die "AI-Toolkit was not updated: git could not fast-forward $AITK_DIR (see above)"
retry git -C "$AITK_DIR" submodule update --init --recursive

aitk_python_env
aitk_ui

log "AI-Toolkit is up to date ($(git_head "$AITK_DIR"))"
