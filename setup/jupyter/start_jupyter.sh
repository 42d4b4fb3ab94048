#!/usr/bin/env bash
# Starts JupyterLab in the foreground on $LISTEN_HOST:$PORT with the workspace as its root folder: the one on
# the volume ($JUPYTER_VENV, from Install) when there is one, else the image's ($JUPYTER_IMAGE_VENV), never
# a bare Jupyter Server. Its settings and workspaces live on the volume ($WORKSPACE_DIR/.jupyter, unless
# JUPYTER_CONFIG_DIR says otherwise), so they survive a pod restart.
#
# Access: the studio's gateway is the way in (it keeps the browser's Host header, which a Jupyter on a
# loopback address would refuse without allow_remote_access), so no token is needed. When JUPYTER_TOKEN (or
# JUPYTER_PASSWORD, as RunPod templates name it) is set, Jupyter asks for it; it reads it from the
# environment, so it never appears on a command line.
#
# Environment: PORT (default $JUPYTER_PORT or 8888), LISTEN_HOST (default 127.0.0.1), WORKSPACE_DIR,
# JUPYTER_VENV, JUPYTER_IMAGE_VENV (default /opt/jupyterlab), JUPYTER_TOKEN.
set -euo pipefail
export LOG_TAG=jupyter
# shellcheck source-path=SCRIPTDIR source=../lib/jupyter.sh disable=SC1091
source "$(dirname -- "${BASH_SOURCE[0]}")/../lib/jupyter.sh"
# shellcheck source-path=SCRIPTDIR source=../lib/process.sh disable=SC1091
source "$(dirname -- "${BASH_SOURCE[0]}")/../lib/process.sh"

start_port JUPYTER_PORT 8888
listen_host
find_jupyter_lab

if [[ -z ${JUPYTER_TOKEN:-} && -n ${JUPYTER_PASSWORD:-} ]]; then
  JUPYTER_TOKEN=$JUPYTER_PASSWORD
fi
if [[ -n ${JUPYTER_TOKEN:-} ]]; then
  export JUPYTER_TOKEN
else
  unset JUPYTER_TOKEN
fi
unset JUPYTER_PASSWORD
export JUPYTER_CONFIG_DIR=${JUPYTER_CONFIG_DIR:-$WORKSPACE_DIR/.jupyter}

args=(
  "--ip=$LISTEN_HOST"
  "--port=$PORT"
  --no-browser
  --allow-root
  "--ServerApp.root_dir=$WORKSPACE_DIR"
  --ServerApp.allow_remote_access=True
  "--ServerApp.allow_origin=*"
  --ServerApp.trust_xheaders=True
)
if [[ -z ${JUPYTER_TOKEN:-} ]]; then
  # No token and no password. IdentityProvider is Jupyter Server 2; ServerApp.token is Jupyter Server 1.
  args+=(--IdentityProvider.token= --ServerApp.token= --ServerApp.password=)
  log "no JUPYTER_TOKEN set: JupyterLab runs without a token (the studio's gateway guards it)"
else
  log "JupyterLab asks for the token from JUPYTER_TOKEN"
fi

mkdir -p -- "$WORKSPACE_DIR" "$JUPYTER_CONFIG_DIR"
cd -- "$WORKSPACE_DIR"
printf -v shown '%q ' "$JUPYTER_LAB" "${args[@]}"
log "starting: ${shown% }"
write_pid_file jupyter-lab
exec "$JUPYTER_LAB" "${args[@]}"
