# shellcheck shell=bash
# JupyterLab: the image ships one in JUPYTER_IMAGE_VENV (/opt/jupyterlab); Install and Update put one on the
# volume in JUPYTER_VENV ($WORKSPACE_DIR/.venvs/jupyterlab), which wins when it has `bin/jupyter-lab`.

[[ -n ${_SETUP_LIB_JUPYTER:-} ]] && return 0
_SETUP_LIB_JUPYTER=1
# shellcheck source-path=SCRIPTDIR source=env.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/env.sh"
# shellcheck source-path=SCRIPTDIR source=venv.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/venv.sh"

JUPYTER_VENV=${JUPYTER_VENV:-$WORKSPACE_DIR/.venvs/jupyterlab}
JUPYTER_IMAGE_VENV=${JUPYTER_IMAGE_VENV:-/opt/jupyterlab}

# jupyter_packages install|upgrade: JupyterLab and ipywidgets into JUPYTER_VENV (made when it is missing);
# `upgrade` brings them to their newest versions.
jupyter_packages() {
  local -a options=()
  case $1 in
    install) ;;
    upgrade) options=(--upgrade) ;;
    *) die "jupyter_packages: install or upgrade, not '$1'" ;;
  esac
  preflight "${PYPI_URLS[@]}"
  make_venv "$JUPYTER_VENV"
  pip_install "$JUPYTER_VENV" "${options[@]}" jupyterlab ipywidgets
  [[ -x $JUPYTER_VENV/bin/jupyter-lab ]] || die "JupyterLab did not install: $JUPYTER_VENV/bin/jupyter-lab is missing"
}

# find_jupyter_lab: sets JUPYTER_LAB to the jupyter-lab to run: the volume's, else the image's. Stops,
# saying where it looked, when there is neither (it never falls back to a bare Jupyter Server).
find_jupyter_lab() {
  local dir
  for dir in "$JUPYTER_VENV" "$JUPYTER_IMAGE_VENV"; do
    if [[ -x $dir/bin/jupyter-lab ]]; then
      # shellcheck disable=SC2034 # read by start_jupyter.sh
      JUPYTER_LAB="$dir/bin/jupyter-lab"
      return 0
    fi
  done
  die "JupyterLab is not installed: there is no $JUPYTER_VENV/bin/jupyter-lab and no $JUPYTER_IMAGE_VENV/bin/jupyter-lab. Ask an admin to run Install for JupyterLab."
}
