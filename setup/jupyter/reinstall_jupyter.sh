#!/usr/bin/env bash
# Reinstalls JupyterLab: removes its Python environment on the volume (installed packages only; notebooks
# and files live in the workspace and are not touched) and installs it again.
#
# Environment: WORKSPACE_DIR (default /workspace), JUPYTER_VENV (default $WORKSPACE_DIR/.venvs/jupyterlab).
set -euo pipefail
export LOG_TAG=jupyter-reinstall
# shellcheck source-path=SCRIPTDIR source=../lib/jupyter.sh disable=SC1091
source "$(dirname -- "${BASH_SOURCE[0]}")/../lib/jupyter.sh"

if [[ -e $JUPYTER_VENV && ! -f $JUPYTER_VENV/pyvenv.cfg ]]; then
  die "$JUPYTER_VENV is not a Python environment; move it away and run this again"
fi
preflight "${PYPI_URLS[@]}"
remove_venv "$JUPYTER_VENV"
exec bash "$(dirname -- "${BASH_SOURCE[0]}")/install_jupyter.sh"
