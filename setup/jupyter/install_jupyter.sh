#!/usr/bin/env bash
# Installs JupyterLab into its own Python environment on the volume ($WORKSPACE_DIR/.venvs/jupyterlab),
# so it survives a pod restart. Running it again is harmless.
#
# Environment: WORKSPACE_DIR (default /workspace), JUPYTER_VENV (default $WORKSPACE_DIR/.venvs/jupyterlab).
set -euo pipefail
export LOG_TAG=jupyter-install
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh disable=SC1091
source "$(dirname -- "${BASH_SOURCE[0]}")/../lib/common.sh"

log "installing JupyterLab into $JUPYTER_VENV"
jupyter_packages install
[[ -x $JUPYTER_VENV/bin/jupyter-lab ]] || die "JupyterLab did not install: $JUPYTER_VENV/bin/jupyter-lab is missing"
log "JupyterLab is installed"
