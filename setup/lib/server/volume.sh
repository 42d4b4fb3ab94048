# shellcheck shell=bash
# start_server.sh: what an admin changes at run time lives on the pod's volume, which outlives the container.
#
# The users file: when USERS_FILE is not set and the workspace is a folder that is not inside this app (the
# pod's volume, /workspace), the studio reads $WORKSPACE_DIR/artist_names.sh: at the top of the volume, where JupyterLab's
# file browser (which hides dot-folders) shows it. The first start copies the image's artist_names.sh there;
# after that the volume's file is never overwritten (edits from the page or by hand stay). USERS_FILE is
# exported for the studio either way.

# users_on_volume: sets and exports USERS_FILE as described above (unless it is set already).
users_on_volume() {
  [[ -z ${USERS_FILE:-} ]] || return 0
  local workspace=${WORKSPACE_DIR:-/workspace} file app
  [[ -d $workspace ]] || return 0
  workspace=$(realpath -- "$workspace")
  app=$(realpath -- "$APP_DIR")
  # A workspace inside this app (./workspace of a checkout run with npm start) is not the pod's volume.
  [[ $workspace == "$app" || $workspace == "$app"/* ]] && return 0
  file="$workspace/artist_names.sh"
  if [[ -f $APP_DIR/artist_names.sh ]] && write_file_once "$file" <"$APP_DIR/artist_names.sh"; then
    log "the users file is now $file (a copy of the image's; edits there survive a pod restart)"
  elif [[ -e $file || -L $file ]]; then
    log "the users file is $file"
  else
    warn "there is no $APP_DIR/artist_names.sh to start $file from; the studio starts without users"
  fi
  export USERS_FILE="$file"
}

# start_ssh: RunPod's SSH access with the pod's public key (PUBLIC_KEY), when there is an sshd.
start_ssh() {
  [[ -n ${PUBLIC_KEY:-} ]] || return 0
  [[ -x /usr/sbin/sshd ]] || return 0
  pgrep -x sshd >/dev/null 2>&1 && return 0
  local keys="${HOME:-/root}/.ssh/authorized_keys"
  if (
    umask 077
    mkdir -p "$(dirname "$keys")"
    touch "$keys"
    grep -qxF -- "$PUBLIC_KEY" "$keys" || printf '%s\n' "$PUBLIC_KEY" >>"$keys"
    ssh-keygen -A >/dev/null 2>&1 || true
    mkdir -p /run/sshd
    /usr/sbin/sshd
  ); then
    log "sshd started"
  else
    warn "could not start sshd"
  fi
}
