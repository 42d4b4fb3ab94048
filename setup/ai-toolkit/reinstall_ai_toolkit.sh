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
# shellcheck source-path=SCRIPTDIR source=../lib/ai-toolkit.sh disable=SC1091
source "$(dirname -- "${BASH_SOURCE[0]}")/../lib/ai-toolkit.sh"
# shellcheck source-path=SCRIPTDIR source=../lib/reinstall.sh disable=SC1091
source "$(dirname -- "${BASH_SOURCE[0]}")/../lib/reinstall.sh"
here="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)"

KEEP=(config datasets output models custom extensions data aitk_db.db aitk_db.db-wal aitk_db.db-shm .env env.sh)

aitk_preflight
reinstall_keeping AI-Toolkit "$AITK_DIR" "$AITK_REPO_URL" "$here/install_ai_toolkit.sh" "${KEEP[@]}"

# The new install works: the old tree's Python environments and node_modules can go.
remove_venv "$REINSTALL_OLD/venv"
remove_venv "$REINSTALL_OLD/.venv"
remove_folder "$REINSTALL_OLD/ui/node_modules"
reinstall_done AI-Toolkit "$REINSTALL_OLD"
