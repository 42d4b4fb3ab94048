# shellcheck shell=bash
# Where things are, and the settings every tool's start script reads.
#
# After sourcing: WORKSPACE_DIR (default /workspace), REPO_DIR (default: the repository this file lives in)
# and STATE_DIR (default $WORKSPACE_DIR/.comfystudio) are set and exported. Nothing here ever builds a shell
# string from input or uses eval; every command gets its arguments as separate words.

[[ -n ${_SETUP_LIB_ENV:-} ]] && return 0
_SETUP_LIB_ENV=1
# shellcheck source-path=SCRIPTDIR source=log.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/log.sh"

SETUP_LIB_DIR="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)"
: "${WORKSPACE_DIR:=/workspace}"
: "${REPO_DIR:=$(cd -- "$SETUP_LIB_DIR/../.." && pwd)}"
: "${STATE_DIR:=$WORKSPACE_DIR/.comfystudio}"
export WORKSPACE_DIR REPO_DIR STATE_DIR

# start_port PORT_VARIABLE DEFAULT: sets and exports PORT for a start script (PORT as the studio passes it,
# else the tool's own PORT_VARIABLE, else DEFAULT) and stops when it is not a port number.
start_port() {
  PORT=${PORT:-${!1:-$2}}
  require_port PORT "$PORT"
  export PORT
}

# listen_host: sets and exports LISTEN_HOST, the address a tool listens on (the studio passes 127.0.0.1: the
# studio's gateway is the only way in). Default 127.0.0.1; an IP address or a host name, nothing else.
listen_host() {
  LISTEN_HOST=${LISTEN_HOST:-127.0.0.1}
  if [[ ! $LISTEN_HOST =~ ^[A-Za-z0-9]([A-Za-z0-9.:-]{0,252}[A-Za-z0-9])?$ && $LISTEN_HOST != "::" ]]; then
    die "LISTEN_HOST must be an IP address or a host name (got '$LISTEN_HOST')"
  fi
  export LISTEN_HOST
}

# require_installed NAME DIR FILE: stops, asking for an Install, when DIR/FILE is missing.
require_installed() {
  local name=$1 dir=$2 file=$3
  [[ -f $dir/$file ]] || die "$name is not installed in $dir: ask an admin to run Install for $name"
}
