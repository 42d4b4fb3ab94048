#!/usr/bin/env bash
# Stops JupyterLab: whatever listens on its port and any Jupyter started on that port, with all
# their child processes (kernels, terminals). SIGTERM first, SIGKILL after KILL_GRACE_SECONDS.
#
# Environment: JUPYTER_PORT (default 8888).
set -euo pipefail
export LOG_TAG=jupyter-kill
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh disable=SC1091
source "$(dirname -- "${BASH_SOURCE[0]}")/../lib/common.sh"

# The tool's port as the studio sets it (JUPYTER_PORT, default 8888). PORT is not read here: in
# the studio's own environment it may be the studio's port.
port=${JUPYTER_PORT:-8888}
require_port JUPYTER_PORT "$port"

mapfile -t pids < <(
  pids_on_port "$port"
  pids_matching "jupyter.*--port=$port( |$)"
)
log "stopping JupyterLab (port $port)"
stop_processes '' "${pids[@]}"
