#!/usr/bin/env bash
# Reinstalls AI-Toolkit from scratch without losing anything a user made.
#
# The old tree is renamed to ai-toolkit.old-{time}, a fresh one is installed, and these are moved
# back into it: config (training configs), datasets, output (trained LoRAs and samples), models,
# custom, extensions, data, the UI's database aitk_db.db (jobs and settings) and .env / env.sh.
# The old tree is kept (only its Python environment and node_modules are removed once the new
# install works), so anything that could not be moved back is still there.
set -euo pipefail
export LOG_TAG=ai-toolkit-reinstall
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh disable=SC1091
source "$(dirname -- "${BASH_SOURCE[0]}")/../lib/common.sh"
here="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)"

AITK_DIR="$WORKSPACE_DIR/ai-toolkit"
AITK_REPO_URL=${AI_TOOLKIT_REPO_URL:-https://github.com/ostris/ai-toolkit.git}
KEEP=(config datasets output models custom extensions data aitk_db.db aitk_db.db-wal aitk_db.db-shm .env env.sh)

if [[ ! -e $AITK_DIR ]]; then
  log "AI-Toolkit is not installed yet; installing"
  exec bash "$here/install_ai_toolkit.sh"
fi

old=$(move_aside "$AITK_DIR")
log "the old AI-Toolkit is now $old"

if ! clone_repo_into "$AITK_REPO_URL" "$AITK_DIR"; then
  warn "the clone failed; putting the old AI-Toolkit back"
  [[ -e $AITK_DIR ]] && merge_into "$AITK_DIR" "$old"
  [[ -e $AITK_DIR ]] || mv -- "$old" "$AITK_DIR"
  die "AI-Toolkit was not reinstalled (the old one is back in $AITK_DIR)"
fi
restore_kept "$old" "$AITK_DIR" "${KEEP[@]}"

bash "$here/install_ai_toolkit.sh"

remove_venv "$old/venv"
remove_venv "$old/.venv"
if [[ -d $old/ui/node_modules ]]; then
  run rm -rf -- "$old/ui/node_modules"
fi
log "AI-Toolkit is reinstalled. The old tree is kept at $old (its code, and any file that could not be moved back);"
log "delete it once the new AI-Toolkit works."
