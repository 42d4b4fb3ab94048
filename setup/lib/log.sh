# shellcheck shell=bash
# Messages for the setup scripts, and the rule that every failure ends with one line saying why.
#
#   export LOG_TAG=comfy-install
#   source "$(dirname -- "${BASH_SOURCE[0]}")/../lib/log.sh"
#
# Every fatal error ends the script's output with `[{LOG_TAG}] error: {sentence}`, which the studio copies into
# the job's record: `die` prints it, and a command that stops the script under `set -e` without a `die` gets
# one too (naming the command), printed when the script exits.

[[ -n ${_SETUP_LIB_LOG:-} ]] && return 0
_SETUP_LIB_LOG=1

: "${LOG_TAG:=setup}"

log() { printf '[%s] %s\n' "$LOG_TAG" "$*"; }
warn() { printf '[%s] warning: %s\n' "$LOG_TAG" "$*" >&2; }
die() {
  _SETUP_DIED=1
  printf '[%s] error: %s\n' "$LOG_TAG" "$*" >&2
  exit 1
}

# fail_after STATUS: ends the script with the failure of a script it ran, whose own closing error line stays
# the last one.
fail_after() {
  _SETUP_DIED=1
  exit "$1"
}

# The command `run` ran last (expanded and quoted), and the command that stopped the script (the ERR trap
# notes it: the expanded form when it was a `run`).
_SETUP_RAN=""
_SETUP_FAILED=""

# Prints a command (shell-quoted, for reading only) and runs it.
run() {
  local shown
  printf -v shown '%q ' "$@"
  _SETUP_RAN=${shown% }
  log "+ $_SETUP_RAN"
  "$@"
}

# _setup_on_err COMMAND FUNCTION: COMMAND failed in FUNCTION.
_setup_on_err() {
  # A function handing on a failure it has already noted.
  [[ $1 == return* ]] && return 0
  if [[ $2 == run || $1 == "run "* ]]; then
    _SETUP_FAILED=$_SETUP_RAN
  else
    _SETUP_FAILED=$1
  fi
}

_setup_on_exit() {
  local status=$1 what=$_SETUP_FAILED
  ((status == 0)) && return 0
  [[ -n ${_SETUP_DIED:-} ]] && return 0
  ((${#what} > 240)) && what="${what:0:240}..."
  if [[ -n $what ]]; then
    printf '[%s] error: this step failed with exit code %s (the lines above say why): %s\n' "$LOG_TAG" "$status" "$what" >&2
  else
    printf '[%s] error: stopped with exit code %s (the lines above say why)\n' "$LOG_TAG" "$status" >&2
  fi
}

set -o errtrace
trap '_setup_on_err "$BASH_COMMAND" "${FUNCNAME[0]:-}"' ERR
trap '_setup_on_exit "$?"' EXIT

have() { command -v "$1" >/dev/null 2>&1; }

timestamp() { date -u +%Y%m%d-%H%M%S; }

# require_port NAME VALUE: a whole number 1-65535, or the script stops naming NAME.
require_port() {
  local name=$1 value=$2
  if [[ ! $value =~ ^[0-9]{1,5}$ ]] || ((10#$value < 1 || 10#$value > 65535)); then
    die "$name must be a port number between 1 and 65535 (got '$value')"
  fi
}
