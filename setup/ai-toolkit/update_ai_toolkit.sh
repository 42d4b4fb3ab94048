#!/usr/bin/env bash
# Updates AI-Toolkit: git pull (fast-forward only, so local changes are never overwritten),
# submodules, Python requirements, and the web UI (npm install, update_db, build).
#
# Environment: WORKSPACE_DIR (default /workspace).
set -euo pipefail
export LOG_TAG=ai-toolkit-update
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh disable=SC1091
source "$(dirname -- "${BASH_SOURCE[0]}")/../lib/common.sh"

[[ -d $AITK_DIR/.git ]] || die "AI-Toolkit is not installed in $AITK_DIR (no git clone there): run Install first"
have npm || die "Node.js and npm are needed for AI-Toolkit's UI, and npm is not installed"

log "updating AI-Toolkit in $AITK_DIR"
git_pull "$AITK_DIR" || die "AI-Toolkit was not updated"
run git -C "$AITK_DIR" submodule update --init --recursive

make_venv "$AITK_DIR/venv"
pip_install "$AITK_DIR/venv" -r "$AITK_DIR/requirements.txt"

cd -- "$AITK_DIR/ui"
run npm install --no-audit --no-fund
run npm run update_db
run npm run build

log "AI-Toolkit is up to date ($(git -C "$AITK_DIR" log -1 --format='%h %s' 2>/dev/null || echo 'version unknown'))"
