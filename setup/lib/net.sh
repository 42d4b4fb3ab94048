# shellcheck shell=bash
# The network: a check of the hosts an install needs before it starts, bounded retries, downloads.
#
#   preflight https://github.com "$(torch_index_url)" "${PYPI_URLS[@]}"
#   retry git clone -- "$url" "$dir"
#
# Settings (environment):
#   SETUP_PREFLIGHT=0                 skips the host check (an offline mirror that answers no HTTPS root)
#   PREFLIGHT_TIMEOUT_SECONDS         how long each host gets to answer (default 5; all are asked at once)
#   SETUP_RETRIES                     attempts of a retried command (default 3)
#   SETUP_RETRY_DELAY_SECONDS         the pause before the second attempt, doubled before each next one (default 2)

[[ -n ${_SETUP_LIB_NET:-} ]] && return 0
_SETUP_LIB_NET=1
# shellcheck source-path=SCRIPTDIR source=log.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/log.sh"

# A stalled git transfer (below 1 KB/s for a minute) is given up instead of hanging.
: "${GIT_HTTP_LOW_SPEED_LIMIT:=1000}" "${GIT_HTTP_LOW_SPEED_TIME:=60}"
export GIT_HTTP_LOW_SPEED_LIMIT GIT_HTTP_LOW_SPEED_TIME

# url_origin URL: `scheme://host[:port]` of an http(s) URL; nothing for anything else (a local path, ssh).
url_origin() {
  if [[ $1 =~ ^(https?://[^/?#@]+)([/?#].*)?$ ]]; then
    printf '%s\n' "${BASH_REMATCH[1]}"
  fi
}

# preflight URL...: each URL's host must answer HTTPS (any status) within PREFLIGHT_TIMEOUT_SECONDS; the
# hosts are asked at once, so the check takes seconds. Stops naming every host that did not answer, and why.
# URLs that are not http(s) (local paths, ssh) are skipped.
preflight() {
  [[ ${SETUP_PREFLIGHT:-1} == 0 ]] && return 0
  local timeout=${PREFLIGHT_TIMEOUT_SECONDS:-5} url origin dir i
  if [[ ! $timeout =~ ^[1-9][0-9]{0,3}$ ]]; then
    die "PREFLIGHT_TIMEOUT_SECONDS must be a whole number of seconds above 0 (got '$timeout')"
  fi
  local -a origins=() pids=() failed=()
  local -A seen=()
  for url in "$@"; do
    origin=$(url_origin "$url")
    [[ -n $origin && -z ${seen[$origin]:-} ]] || continue
    seen[$origin]=1
    origins+=("$origin")
  done
  ((${#origins[@]})) || return 0
  if ! have curl; then
    warn "curl is not installed, so the network cannot be checked first"
    return 0
  fi
  log "checking the network: ${origins[*]#*://}"
  dir=$(mktemp -d)
  for i in "${!origins[@]}"; do
    curl -sS -o /dev/null --connect-timeout "$timeout" --max-time "$((timeout * 2))" "${origins[i]}/" 2>"$dir/$i" &
    pids+=("$!")
  done
  for i in "${!origins[@]}"; do
    if ! wait "${pids[i]}"; then
      failed+=("${origins[i]#*://} ($(tail -n 1 "$dir/$i" | sed 's/^curl: ([0-9]*) //'))")
    fi
  done
  rm -rf -- "$dir"
  if ((${#failed[@]})); then
    local list
    printf -v list '%s, ' "${failed[@]}"
    die "cannot reach ${list%, }: this step needs them. Check the pod's network (and HTTPS_PROXY, if it needs one), then run it again."
  fi
}

# retry COMMAND...: runs COMMAND up to SETUP_RETRIES times, pausing in between, until it succeeds; the last
# attempt's status is returned.
retry() {
  local attempts=${SETUP_RETRIES:-3} delay=${SETUP_RETRY_DELAY_SECONDS:-2} attempt=1 status
  [[ $attempts =~ ^[1-9][0-9]*$ ]] || die "SETUP_RETRIES must be a whole number above 0 (got '$attempts')"
  [[ $delay =~ ^[0-9]+(\.[0-9]+)?$ ]] || die "SETUP_RETRY_DELAY_SECONDS must be a number of seconds (got '$delay')"
  while :; do
    status=0
    run "$@" || status=$?
    if ((status == 0)); then
      return 0
    fi
    if ((attempt >= attempts)); then
      _SETUP_FAILED=$_SETUP_RAN
      return "$status"
    fi
    warn "attempt $attempt of $attempts failed (exit code $status); trying again in ${delay}s"
    sleep "$delay"
    delay=$(awk -v d="$delay" 'BEGIN { print d * 2 }')
    attempt=$((attempt + 1))
  done
}

# download URL FILE: fetches URL into FILE (through FILE.part, so a cut download never looks whole).
download() {
  local url=$1 file=$2
  have curl || die "curl is not installed"
  rm -f -- "$file.part"
  if ! retry curl -fsSL --connect-timeout 10 -o "$file.part" "$url"; then
    rm -f -- "$file.part"
    die "could not download $url"
  fi
  mv -- "$file.part" "$file"
}
