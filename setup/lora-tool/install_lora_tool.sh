#!/usr/bin/env bash
# The LoRA-Tool ships with the studio and is built with it: installing it downloads nothing and builds
# nothing. It checks that the built tool is there (dist/lora-tool/server/main.js) and that Node.js runs,
# and makes the datasets folder.
#
# Environment: REPO_DIR, WORKSPACE_DIR.
set -euo pipefail
export LOG_TAG=lora-tool-install
# shellcheck source-path=SCRIPTDIR source=../lib/lora-tool.sh disable=SC1091
source "$(dirname -- "${BASH_SOURCE[0]}")/../lib/lora-tool.sh"

lora_require_built
mkdir -p -- "$WORKSPACE_DIR/datasets"
log "the LoRA-Tool is part of the studio and built with it ($LORA_MAIN); datasets live in $WORKSPACE_DIR/datasets"
log "the LoRA-Tool is ready"
