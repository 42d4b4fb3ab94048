#!/usr/bin/env bash
# Starts JupyterLab in the foreground on $PORT with the workspace as its root folder.
#
# Which Jupyter: the one installed by install_jupyter.sh, else a jupyter-lab on PATH, else
# `python3 -m jupyterlab`, else the plain Jupyter Server (`python3 -m jupyter_server`).
# Access: when JUPYTER_TOKEN (or JUPYTER_PASSWORD, as RunPod templates name it) is set, Jupyter
# asks for it; it reads it from the environment, so it never appears on a command line. Without
# one, Jupyter runs without a token (the studio's login guards the pod).
#
# Environment: PORT (default $JUPYTER_PORT or 8888), WORKSPACE_DIR, JUPYTER_VENV, JUPYTER_TOKEN.
set -euo pipefail
export LOG_TAG=jupyter
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh disable=SC1091
source "$(dirname -- "${BASH_SOURCE[0]}")/../lib/common.sh"

start_port JUPYTER_PORT 8888

if [[ -z ${JUPYTER_TOKEN:-} && -n ${JUPYTER_PASSWORD:-} ]]; then
  JUPYTER_TOKEN=$JUPYTER_PASSWORD
fi
if [[ -n ${JUPYTER_TOKEN:-} ]]; then
  export JUPYTER_TOKEN
else
  unset JUPYTER_TOKEN
fi
unset JUPYTER_PASSWORD

if [[ -x $JUPYTER_VENV/bin/jupyter-lab ]]; then
  cmd=("$JUPYTER_VENV/bin/jupyter-lab")
elif have jupyter-lab; then
  cmd=(jupyter-lab)
elif have python3 && python3 -c 'import jupyterlab' >/dev/null 2>&1; then
  cmd=(python3 -m jupyterlab)
elif have python3 && python3 -c 'import jupyter_server' >/dev/null 2>&1; then
  warn "JupyterLab is not installed; starting the plain Jupyter Server (an admin can run Install for JupyterLab)"
  cmd=(python3 -m jupyter_server)
else
  die "JupyterLab is not installed: there is no $JUPYTER_VENV/bin/jupyter-lab, no jupyter-lab on PATH, and python3 has neither jupyterlab nor jupyter_server. Ask an admin to run Install for JupyterLab."
fi

args=(
  --ip=0.0.0.0
  "--port=$PORT"
  --no-browser
  --allow-root
  "--ServerApp.root_dir=$WORKSPACE_DIR"
  "--ServerApp.allow_origin=*"
  --ServerApp.trust_xheaders=True
)
if [[ -z ${JUPYTER_TOKEN:-} ]]; then
  # No token and no password. IdentityProvider is Jupyter Server 2; ServerApp.token is Jupyter Server 1.
  args+=(--IdentityProvider.token= --ServerApp.token= --ServerApp.password=)
  log "no JUPYTER_TOKEN set: JupyterLab runs without a token"
else
  log "JupyterLab asks for the token from JUPYTER_TOKEN"
fi

mkdir -p -- "$WORKSPACE_DIR"
cd -- "$WORKSPACE_DIR"
printf -v shown '%q ' "${cmd[@]}" "${args[@]}"
log "starting: ${shown% }"
exec "${cmd[@]}" "${args[@]}"
