#!/usr/bin/env bash
# The LoRA-Tool updates with the studio: a new image, or REPO_URL synced by start_server.sh at the
# container's start (which builds it again). This checks that the built tool is there.
#
# Environment: REPO_DIR.
set -euo pipefail
export LOG_TAG=lora-tool-update
# shellcheck source-path=SCRIPTDIR source=../lib/lora-tool.sh disable=SC1091
source "$(dirname -- "${BASH_SOURCE[0]}")/../lib/lora-tool.sh"

log "the LoRA-Tool updates together with the studio (a new image, or REPO_URL at the container's start)"
lora_require_built
log "the LoRA-Tool is ready ($LORA_MAIN)"
