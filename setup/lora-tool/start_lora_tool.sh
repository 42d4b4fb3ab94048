#!/usr/bin/env bash
# Starts the LoRA-Tool (dataset captioning helper) in the foreground; it reads PORT and LISTEN_HOST from its
# environment.
#
# Environment: PORT (default $LORA_TOOL_PORT or 3000), LISTEN_HOST (default 127.0.0.1), WORKSPACE_DIR,
# STATE_DIR, REPO_DIR, STUDIO_USER, HF_HOME.
set -euo pipefail
export LOG_TAG=lora-tool
# shellcheck source-path=SCRIPTDIR source=../lib/lora-tool.sh disable=SC1091
source "$(dirname -- "${BASH_SOURCE[0]}")/../lib/lora-tool.sh"
# shellcheck source-path=SCRIPTDIR source=../lib/process.sh disable=SC1091
source "$(dirname -- "${BASH_SOURCE[0]}")/../lib/process.sh"

start_port LORA_TOOL_PORT 3000
listen_host
lora_require_built
log "starting on $LISTEN_HOST:$PORT for ${STUDIO_USER:-nobody in particular}"
write_pid_file lora-tool
exec node "$LORA_MAIN"
