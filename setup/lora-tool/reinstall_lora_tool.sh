#!/usr/bin/env bash
# Reinstalling the LoRA-Tool has nothing to download or rebuild: it is part of the studio. Datasets and
# settings are left untouched. This checks that the built tool is there.
#
# Environment: REPO_DIR.
set -euo pipefail
export LOG_TAG=lora-tool-reinstall
# shellcheck source-path=SCRIPTDIR source=../lib/lora-tool.sh disable=SC1091
source "$(dirname -- "${BASH_SOURCE[0]}")/../lib/lora-tool.sh"

log "the LoRA-Tool is part of the studio: nothing to download; datasets and settings stay as they are"
lora_require_built
log "the LoRA-Tool is ready ($LORA_MAIN)"
