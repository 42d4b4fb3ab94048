#!/usr/bin/env bash
# The container's entry: gets the studio ready and keeps it running.
#
#  1. When REPO_URL is set, brings this folder up to date with REPO_URL (branch REPO_BRANCH, default
#     the remote's default branch). Local changes are never thrown away: a tree with changes is
#     left as it is (and says so), and a fast-forward that is not possible is skipped.
#  2. Runs `npm ci` when package.json or package-lock.json changed since the last one, and
#     `npm run build` when they or the sources changed since the last build (hash stamps in
#     node_modules/.comfystudio-stamp and dist/.comfystudio-stamp).
#  3. Runs the studio (`node dist/server/main.js`) and starts it again when it exits, after a short
#     pause that grows (1 s, 2 s, 4 s ... 30 s) while it keeps failing and starts over after a run
#     of STUDIO_GOOD_RUN_SECONDS (default 60).
#  4. On SIGTERM or SIGINT, sends SIGTERM to the studio, waits for it to exit and exits with its
#     status, without starting it again. A second signal sends SIGKILL.
#
# Options:
#   --prepare   steps 1-2 only, then exit (for image builds)
#   --stamp     records the current dependencies and build as up to date, then exit
#
# Environment:
#   REPO_URL, REPO_BRANCH     optional repository to sync from
#   STUDIO_SKIP_BUILD=1       skip step 2
#   STUDIO_SERVER_CMD         path to an executable to run instead of `node dist/server/main.js`
#                             (run with no arguments; never evaluated as a shell string)
#   STUDIO_RESTART_DELAY_MS   first pause before a restart (default 1000)
#   STUDIO_RESTART_MAX_DELAY_MS  longest pause (default 30000)
#   STUDIO_GOOD_RUN_SECONDS   a run this long resets the pause (default 60)
#   PUBLIC_KEY                when set and sshd is installed, starts sshd with this key (RunPod)
set -euo pipefail

APP_DIR="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)"
cd -- "$APP_DIR"

log() { printf '[start_server] %s\n' "$*"; }
warn() { printf '[start_server] warning: %s\n' "$*" >&2; }
die() {
  printf '[start_server] error: %s\n' "$*" >&2
  exit 1
}

mode=run
case ${1:-} in
  "") ;;
  --prepare) mode=prepare ;;
  --stamp) mode=stamp ;;
  *) die "unknown option '$1' (use --prepare or --stamp, or no option)" ;;
esac

# A URL fit for a log: without any user name or password in it.
redact_url() { sed -E 's#(://)[^/@[:space:]]*@#\1#g' <<<"$1"; }

# --------------------------------------------------------------------------------------------
# 1. Sync

sync_repo() {
  [[ -n ${REPO_URL:-} ]] || return 0
  command -v git >/dev/null 2>&1 || {
    warn "REPO_URL is set but git is not installed; not syncing"
    return 0
  }
  local shown branch=${REPO_BRANCH:-HEAD}
  shown=$(redact_url "$REPO_URL")
  if [[ ! -d .git ]]; then
    log "no git repository in $APP_DIR yet: fetching $shown ($branch)"
    # The files here came with the image, not from a person: the fetched code replaces them.
    local err
    if ! err=$({ git init -q . && git fetch -q --depth 1 "$REPO_URL" "$branch" &&
      git checkout -q -f -B "${REPO_BRANCH:-main}" FETCH_HEAD; } 2>&1); then
      warn "could not fetch $shown; running the code that is here: $(redact_url "$err")"
      rm -rf .git # the empty repository made just now
      return 0
    fi
    log "now at $(git log -1 --format='%h %s')"
    return 0
  fi
  if [[ -n $(git status --porcelain --untracked-files=no 2>/dev/null) ]]; then
    warn "$APP_DIR has local changes; they are kept and the repository is not synced:"
    git status --short --untracked-files=no >&2 || true
    return 0
  fi
  log "syncing from $shown ($branch)"
  local err
  if ! err=$(git fetch -q "$REPO_URL" "$branch" 2>&1); then
    warn "could not fetch $shown; running the code that is here: $(redact_url "$err")"
    return 0
  fi
  if ! git merge -q --ff-only FETCH_HEAD; then
    warn "cannot fast-forward to $shown ($branch): this copy has commits of its own; they are kept and the repository is not synced"
    return 0
  fi
  log "now at $(git log -1 --format='%h %s')"
}

# --------------------------------------------------------------------------------------------
# 2. Dependencies and build

DEPS_STAMP="node_modules/.comfystudio-stamp"
BUILD_STAMP="dist/.comfystudio-stamp"

hash_files() { sha256sum -- "$@" 2>/dev/null | sha256sum | cut -d' ' -f1; }

deps_hash() {
  local files=(package.json)
  [[ -f package-lock.json ]] && files+=(package-lock.json)
  { node --version 2>/dev/null || true; hash_files "${files[@]}"; } | sha256sum | cut -d' ' -f1
}

sources_hash() {
  local dirs=() dir
  for dir in server lora-tool bench; do
    [[ -d $dir ]] && dirs+=("$dir")
  done
  {
    deps_hash
    find . -maxdepth 1 -type f -name 'tsconfig*.json' -print0 | sort -z | xargs -0 -r sha256sum
    if ((${#dirs[@]})); then
      find "${dirs[@]}" -type f -not -path '*/node_modules/*' -print0 | sort -z | xargs -0 -r sha256sum
    fi
  } | sha256sum | cut -d' ' -f1
}

write_stamps() {
  mkdir -p node_modules dist
  deps_hash >"$DEPS_STAMP"
  sources_hash >"$BUILD_STAMP"
}

prepare() {
  [[ -f package.json ]] || die "$APP_DIR/package.json is missing"
  if [[ ${STUDIO_SKIP_BUILD:-0} == 1 ]]; then
    log "STUDIO_SKIP_BUILD=1: not installing or building"
    return 0
  fi
  command -v npm >/dev/null 2>&1 || die "npm is not installed"
  local want have_deps have_build
  want=$(deps_hash)
  have_deps=$(cat "$DEPS_STAMP" 2>/dev/null || true)
  if [[ $want != "$have_deps" || ! -d node_modules ]]; then
    log "dependencies changed: npm ci"
    npm ci --no-audit --no-fund
    deps_hash >"$DEPS_STAMP"
  fi
  want=$(sources_hash)
  have_build=$(cat "$BUILD_STAMP" 2>/dev/null || true)
  if [[ $want == "$have_build" && -f dist/server/main.js ]]; then
    log "the build is up to date"
    return 0
  fi
  if [[ ! -e node_modules/.bin/tsc ]]; then
    # The image keeps production dependencies only; building needs the rest.
    log "the build needs the development dependencies: npm ci"
    npm ci --no-audit --no-fund
    deps_hash >"$DEPS_STAMP"
  fi
  log "sources changed: npm run build"
  if npm run build; then
    mkdir -p dist
    sources_hash >"$BUILD_STAMP"
  elif [[ -f dist/server/main.js ]]; then
    warn "the build failed; running the previous build"
  else
    die "the build failed and there is no previous build to run"
  fi
}

# --------------------------------------------------------------------------------------------
# RunPod: SSH with the pod's public key, when there is an sshd.

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

# --------------------------------------------------------------------------------------------
# 3-4. Run and supervise

child=""
sleeper=""
stopping=0

got_signal=0

on_signal() {
  local name=$1 signal=TERM
  got_signal=1
  if ((stopping)); then
    log "second $name: killing the studio"
    signal=KILL
  else
    stopping=1
    log "got $name: stopping the studio"
  fi
  if [[ -n $child ]]; then
    kill "-$signal" "$child" 2>/dev/null || true
  fi
  if [[ -n $sleeper ]]; then
    kill "$sleeper" 2>/dev/null || true
  fi
  return 0
}

pause_ms() {
  local ms=$1
  sleep "$((ms / 1000)).$(printf '%03d' $((ms % 1000)))" &
  sleeper=$!
  wait "$sleeper" 2>/dev/null || true
  sleeper=""
}

supervise() {
  local -a cmd
  if [[ -n ${STUDIO_SERVER_CMD:-} ]]; then
    [[ -x $STUDIO_SERVER_CMD && ! -d $STUDIO_SERVER_CMD ]] || die "STUDIO_SERVER_CMD ($STUDIO_SERVER_CMD) is not an executable file"
    cmd=("$STUDIO_SERVER_CMD")
  else
    [[ -f dist/server/main.js ]] || die "dist/server/main.js is missing: the studio is not built"
    cmd=(node dist/server/main.js)
  fi
  local first_delay=${STUDIO_RESTART_DELAY_MS:-1000} max_delay=${STUDIO_RESTART_MAX_DELAY_MS:-30000}
  local good_run=${STUDIO_GOOD_RUN_SECONDS:-60} delay started status ran real
  [[ $first_delay =~ ^[0-9]+$ ]] || die "STUDIO_RESTART_DELAY_MS must be a whole number of milliseconds"
  [[ $max_delay =~ ^[0-9]+$ ]] || die "STUDIO_RESTART_MAX_DELAY_MS must be a whole number of milliseconds"
  [[ $good_run =~ ^[0-9]+$ ]] || die "STUDIO_GOOD_RUN_SECONDS must be a whole number of seconds"
  delay=$first_delay

  trap 'on_signal SIGTERM' TERM
  trap 'on_signal SIGINT' INT
  while :; do
    started=$SECONDS
    log "starting the studio: ${cmd[*]}"
    NODE_ENV=${NODE_ENV:-production} "${cmd[@]}" &
    child=$!
    # `wait` returns early (status > 128) when a signal arrives: wait again until the studio has
    # really exited, and take its own exit status.
    while :; do
      got_signal=0
      status=0
      wait "$child" || status=$?
      if ((got_signal && status > 128)); then
        kill -0 "$child" 2>/dev/null && continue
        real=0
        wait "$child" 2>/dev/null || real=$?
        ((real != 127)) && status=$real
      fi
      break
    done
    child=""
    ran=$((SECONDS - started))
    if ((stopping)); then
      log "the studio stopped (status $status)"
      exit "$status"
    fi
    if ((ran >= good_run)); then
      delay=$first_delay
    fi
    log "the studio exited with status $status after ${ran}s; starting it again in ${delay} ms"
    pause_ms "$delay"
    if ((stopping)); then
      log "stopped"
      exit 0
    fi
    delay=$((delay * 2))
    ((delay > max_delay)) && delay=$max_delay
    ((delay < 1)) && delay=1
  done
}

case $mode in
  stamp)
    write_stamps
    log "recorded the dependencies and the build as up to date"
    ;;
  prepare)
    sync_repo
    prepare
    ;;
  run)
    sync_repo
    prepare
    start_ssh
    supervise
    ;;
esac
