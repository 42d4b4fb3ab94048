#!/usr/bin/env bash
# Installs AI-Toolkit (ostris/ai-toolkit) into $WORKSPACE_DIR/ai-toolkit: the code (git, with
# submodules), a Python environment in ai-toolkit/venv with a CUDA build of PyTorch and the
# requirements, and the web UI in ui/ (npm install, npm run update_db, npm run build).
# Running it again is harmless.
#
# Environment: WORKSPACE_DIR (default /workspace), AI_TOOLKIT_REPO_URL, TORCH_INDEX_URL.
set -euo pipefail
export LOG_TAG=ai-toolkit-install
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh disable=SC1091
source "$(dirname -- "${BASH_SOURCE[0]}")/../lib/common.sh"

have npm || die "Node.js and npm are needed for AI-Toolkit's UI, and npm is not installed"
install_clone AI-Toolkit "$AITK_REPO_URL" "$AITK_DIR"
run git -C "$AITK_DIR" submodule update --init --recursive

log "Python environment"
make_venv "$AITK_DIR/venv"
install_torch "$AITK_DIR/venv"
pip_install "$AITK_DIR/venv" -r "$AITK_DIR/requirements.txt"

log "web UI"
[[ -f $AITK_DIR/ui/package.json ]] || die "$AITK_DIR/ui/package.json is missing"
cd -- "$AITK_DIR/ui"
run npm install --no-audit --no-fund
run npm run update_db
run npm run build

log "AI-Toolkit is installed in $AITK_DIR"
