# shellcheck shell=bash
# start_server.sh: the studio's secrets reach it through a file, not its environment.
#
# A process's environment stays readable in /proc/{pid}/environ for as long as it runs, whatever it unsets
# later. So when any of SECRET_NAMES is set, start_server.sh first writes them to a file only root can read,
# then runs itself again without them (`env -u ...`), reads the file back into (unexported) shell variables
# and deletes it. Before each start of the studio it writes them to a fresh file, passes that file's path as
# STUDIO_SECRETS_FILE, and starts the studio without them in its environment; the studio reads the file once
# and deletes it. A file the studio left (it died before reading it) is deleted before the next start and
# when start_server.sh ends.
#
# The file: mode 0600, in /dev/shm (memory, never on a disk) when that is a writable folder, else in
# STATE_DIR (default $WORKSPACE_DIR/.comfystudio, made 0700); STUDIO_SECRETS_DIR chooses another folder.
# Its format: one `NAME=value` line per secret that is set, NAME one of SECRET_NAMES, the value everything
# after the first `=` up to the end of the line, which ends with a newline. A value may hold any character
# but a newline (and NUL, which no environment variable can hold); a secret with a newline in it stops the
# start, naming it (never its value).
#
# (The container's first process keeps the environment it was started with; that is outside the studio.)

SECRET_NAMES=(STUDIO_PASSWORD ADMIN_PASSWORD SESSION_SECRET HF_TOKEN CIVITAI_TOKEN)
declare -A SECRETS=()
SECRETS_FILE=""

secrets_dir() {
  local dir
  if [[ -n ${STUDIO_SECRETS_DIR:-} ]]; then
    dir=$STUDIO_SECRETS_DIR
  elif [[ -d /dev/shm && -w /dev/shm ]]; then
    dir=/dev/shm
  else
    dir=${STATE_DIR:-${WORKSPACE_DIR:-/workspace}/.comfystudio}
  fi
  (umask 077 && mkdir -p -- "$dir") || die "cannot make the folder $dir for the studio's secrets"
  printf '%s\n' "$dir"
}

# write_secrets_file: writes SECRETS (or, before the handoff, the environment's secrets) to a new 0600 file
# and sets SECRETS_FILE to its path.
write_secrets_file() {
  local dir name value
  dir=$(secrets_dir)
  SECRETS_FILE=$(umask 077 && mktemp -- "$dir/comfystudio-secrets.XXXXXXXX") || die "cannot write the studio's secrets file in $dir"
  for name in "${SECRET_NAMES[@]}"; do
    if [[ -n ${SECRETS[$name]+set} ]]; then
      value=${SECRETS[$name]}
    elif [[ -n ${!name+set} ]]; then
      value=${!name}
    else
      continue
    fi
    [[ $value != *$'\n'* ]] || {
      rm -f -- "$SECRETS_FILE"
      die "$name holds a line break, which the studio's secrets file cannot carry: set it without one"
    }
    printf '%s=%s\n' "$name" "$value" >>"$SECRETS_FILE"
  done
}

# hand_off_secrets ARGS...: when secrets are in the environment, runs start_server.sh again without them (see
# the top of this file). Once run again, takes them back from the file it left, and deletes that.
hand_off_secrets() {
  local name line
  local -a without=()
  if [[ -n ${STUDIO_SECRETS_KEPT:-} ]]; then
    [[ -f $STUDIO_SECRETS_KEPT ]] || die "the studio's secrets file $STUDIO_SECRETS_KEPT is gone"
    while IFS= read -r line; do
      name=${line%%=*}
      [[ " ${SECRET_NAMES[*]} " == *" $name "* ]] && SECRETS[$name]=${line#*=}
    done <"$STUDIO_SECRETS_KEPT"
    rm -f -- "$STUDIO_SECRETS_KEPT"
    unset STUDIO_SECRETS_KEPT
    return 0
  fi
  for name in "${SECRET_NAMES[@]}"; do
    [[ -n ${!name+set} ]] && without+=(-u "$name")
  done
  ((${#without[@]})) || return 0
  write_secrets_file
  log "handing the studio's secrets on through a file, not the environment"
  exec env "${without[@]}" STUDIO_SECRETS_KEPT="$SECRETS_FILE" bash "$APP_DIR/start_server.sh" "$@"
}

# The studio build reads STUDIO_SECRETS_FILE (a studio command of one's own, STUDIO_SERVER_CMD, is taken to).
studio_reads_secrets_file() {
  [[ -n ${STUDIO_SERVER_CMD:-} ]] && return 0
  grep -rqsF --include='*.js' STUDIO_SECRETS_FILE dist/server
}

# How the next studio gets its secrets: "file" (SECRETS_FILE), "env" (a studio build that cannot read the
# file), or "" (there are none).
SECRETS_VIA=""

# secrets_for_next_start: deletes a file the last studio left unread, and makes the next one's.
secrets_for_next_start() {
  [[ -n $SECRETS_FILE ]] && rm -f -- "$SECRETS_FILE"
  SECRETS_FILE=""
  SECRETS_VIA=""
  ((${#SECRETS[@]})) || return 0
  if studio_reads_secrets_file; then
    write_secrets_file
    SECRETS_VIA="file"
  else
    warn "this studio build does not read STUDIO_SECRETS_FILE: its secrets are in its environment"
    SECRETS_VIA="env"
  fi
}

# export_secrets: in the subshell that becomes the studio, its secrets as secrets_for_next_start chose.
export_secrets() {
  local name
  case $SECRETS_VIA in
    file) export STUDIO_SECRETS_FILE="$SECRETS_FILE" ;;
    env)
      for name in "${!SECRETS[@]}"; do
        export "$name=${SECRETS[$name]}"
      done
      ;;
  esac
}
