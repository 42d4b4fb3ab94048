#!/usr/bin/env bash
# Updates JupyterLab in its Python environment (installs it first when it is not there).
#
# Environment: WORKSPACE_DIR (default /workspace), JUPYTER_VENV (default $WORKSPACE_DIR/.venvs/jupyterlab).
set -euo pipefail
export LOG_TAG=jupyter-update
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh disable=SC1091
source "$(dirname -- "${BASH_SOURCE[0]}")/../lib/common.sh"

JUPYTER_VENV=${JUPYTER_VENV:-$WORKSPACE_DIR/.venvs/jupyterlab}

log "updating JupyterLab in $JUPYTER_VENV"
make_venv "$JUPYTER_VENV"
pip_install "$JUPYTER_VENV" --upgrade jupyterlab ipywidgets
log "JupyterLab is up to date"
