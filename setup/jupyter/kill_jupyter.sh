#!/usr/bin/env bash
# Stops JupyterLab: whatever listens on its port and any Jupyter started on that port, with all
# their child processes (kernels, terminals). SIGTERM first, SIGKILL after KILL_GRACE_SECONDS.
#
# Environment: JUPYTER_PORT (default 8888).
set -euo pipefail
export LOG_TAG=jupyter-kill
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh disable=SC1091
source "$(dirname -- "${BASH_SOURCE[0]}")/../lib/common.sh"

port=${JUPYTER_PORT:-8888}
kill_tool JupyterLab JUPYTER_PORT "$port" \
  --matching "jupyter.*--port=$port( |$)"
