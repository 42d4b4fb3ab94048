#!/usr/bin/env bash
# The container's entry: gets the studio ready and keeps it running.
#
#  1. When REPO_URL is set, brings this folder up to date with REPO_URL (setup/lib/server/sync.sh).
#  2. Installs and builds only what changed (setup/lib/server/build.sh).
#  3. Keeps what an admin changes on the pod's volume: the users file (setup/lib/server/volume.sh).
#  4. Hands the studio's secrets over in a 0600 file read once, never in its environment
#     (setup/lib/server/secrets.sh, which also defines the file's format).
#  5. Runs the studio and starts it again when it exits; passes SIGTERM on (setup/lib/server/supervise.sh).
#
# Options:
#   --prepare   steps 1-2 only, then exit (for image builds)
#   --stamp     records the current dependencies and build as up to date, then exit
#
# Environment:
#   REPO_URL, REPO_BRANCH     optional repository to sync from
#   STUDIO_SKIP_BUILD=1       skip step 2
#   USERS_FILE                the users file (default: on the volume, see step 3)
#   STUDIO_SECRETS_DIR        where the secrets file is written (default /dev/shm, else STATE_DIR)
#   STUDIO_SERVER_CMD         path to an executable to run instead of `node dist/server/main.js`
#                             (run with no arguments; never evaluated as a shell string)
#   STUDIO_RESTART_DELAY_MS   first pause before a restart (default 1000)
#   STUDIO_RESTART_MAX_DELAY_MS  longest pause (default 30000)
#   STUDIO_GOOD_RUN_SECONDS   a run this long resets the pause (default 60)
#   PUBLIC_KEY                when set and sshd is installed, starts sshd with this key (RunPod)
set -euo pipefail

APP_DIR="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)"
cd -- "$APP_DIR"
export LOG_TAG=start_server
SERVER_LIB="$APP_DIR/setup/lib/server"
# shellcheck source=setup/lib/log.sh
source "$APP_DIR/setup/lib/log.sh"
# shellcheck source=setup/lib/files.sh
source "$APP_DIR/setup/lib/files.sh"
# shellcheck source=setup/lib/server/sync.sh
source "$SERVER_LIB/sync.sh"
# shellcheck source=setup/lib/server/build.sh
source "$SERVER_LIB/build.sh"
# shellcheck source=setup/lib/server/volume.sh
source "$SERVER_LIB/volume.sh"
# shellcheck source=setup/lib/server/secrets.sh
source "$SERVER_LIB/secrets.sh"
# shellcheck source=setup/lib/server/supervise.sh
source "$SERVER_LIB/supervise.sh"

mode=run
case ${1:-} in
  "") ;;
  --prepare) mode=prepare ;;
  --stamp) mode=stamp ;;
  *) die "unknown option '$1' (use --prepare or --stamp, or no option)" ;;
esac

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
    hand_off_secrets "$@"
    sync_repo
    prepare
    users_on_volume
    start_ssh
    supervise
    ;;
esac
