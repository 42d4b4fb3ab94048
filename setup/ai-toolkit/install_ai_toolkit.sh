#!/usr/bin/env bash
# Installs AI-Toolkit (ostris/ai-toolkit) into $WORKSPACE_DIR/ai-toolkit the way its own installer does:
# the code (git, with submodules), a Python environment in ai-toolkit/venv with the PyTorch versions its
# manager/spec.py pins for the pod's CUDA line, its requirements and its torchcodec upgrade, and the web UI
# in ui/ (npm ci, npm run update_db, npm run build). See setup/lib/ai-toolkit.sh. Running it again is
# harmless.
#
# Environment: WORKSPACE_DIR (default /workspace), AI_TOOLKIT_REPO_URL, TORCH_INDEX_URL, AITK_PYTHON,
# AITK_TORCH_PACKAGES.
set -euo pipefail
export LOG_TAG=ai-toolkit-install
# shellcheck source-path=SCRIPTDIR source=../lib/ai-toolkit.sh disable=SC1091
source "$(dirname -- "${BASH_SOURCE[0]}")/../lib/ai-toolkit.sh"

have npm || die "Node.js and npm are needed for AI-Toolkit's UI, and npm is not installed"
aitk_preflight
install_clone AI-Toolkit "$AITK_REPO_URL" "$AITK_DIR"
retry git -C "$AITK_DIR" submodule update --init --recursive

log "Python environment"
aitk_python_env

log "web UI"
aitk_ui

log "AI-Toolkit is installed in $AITK_DIR"
