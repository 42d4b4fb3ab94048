#!/usr/bin/env bash
# Installs JupyterLab into its own Python environment on the volume ($WORKSPACE_DIR/.venvs/jupyterlab), so
# it survives a pod restart and an admin's extensions stay. (The image ships a JupyterLab of its own in
# /opt/jupyterlab, which start_jupyter.sh runs while the volume has none.) Running it again is harmless.
#
# Environment: WORKSPACE_DIR (default /workspace), JUPYTER_VENV (default $WORKSPACE_DIR/.venvs/jupyterlab).
set -euo pipefail
export LOG_TAG=jupyter-install
# shellcheck source-path=SCRIPTDIR source=../lib/jupyter.sh disable=SC1091
source "$(dirname -- "${BASH_SOURCE[0]}")/../lib/jupyter.sh"

log "installing JupyterLab into $JUPYTER_VENV"
jupyter_packages install
log "JupyterLab is installed"
