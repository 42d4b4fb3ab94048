#!/usr/bin/env bash
# Updates JupyterLab in its Python environment on the volume (installs it first when it is not there).
#
# Environment: WORKSPACE_DIR (default /workspace), JUPYTER_VENV (default $WORKSPACE_DIR/.venvs/jupyterlab).
set -euo pipefail
export LOG_TAG=jupyter-update
# shellcheck source-path=SCRIPTDIR source=../lib/jupyter.sh disable=SC1091
source "$(dirname -- "${BASH_SOURCE[0]}")/../lib/jupyter.sh"

log "updating JupyterLab in $JUPYTER_VENV"
jupyter_packages upgrade
log "JupyterLab is up to date"
