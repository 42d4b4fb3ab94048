#!/usr/bin/env bash
# Starts AI-Toolkit's web UI in the foreground on $LISTEN_HOST:$PORT: its two halves under concurrently, as
# ui/package.json's start script runs them, but with `next start --port --hostname` for the UI half. (The
# start script's own front server, dist/cron/fileServer.js, takes a port but always listens on every
# address; upstream keeps running the worker and `next start` directly working, and so does this.)
#
# concurrently runs each command through sh. The two commands are fixed strings below: the port and the
# address reach `next start` through the environment (PORT, LISTEN_HOST), never pasted into a command.
#
# Environment: PORT (default $AI_TOOLKIT_PORT or 8675), LISTEN_HOST (default 127.0.0.1), WORKSPACE_DIR,
# AI_TOOLKIT_AUTH (optional password for the UI, read by AI-Toolkit from the environment).
set -euo pipefail
export LOG_TAG=ai-toolkit
# shellcheck source-path=SCRIPTDIR source=../lib/ai-toolkit.sh disable=SC1091
source "$(dirname -- "${BASH_SOURCE[0]}")/../lib/ai-toolkit.sh"
# shellcheck source-path=SCRIPTDIR source=../lib/process.sh disable=SC1091
source "$(dirname -- "${BASH_SOURCE[0]}")/../lib/process.sh"

start_port AI_TOOLKIT_PORT 8675
listen_host
UI_DIR="$AITK_DIR/ui"
require_installed AI-Toolkit "$AITK_DIR" ui/package.json
have node || die "Node.js is not installed"
[[ -x $UI_DIR/node_modules/.bin/concurrently && -x $UI_DIR/node_modules/.bin/next ]] ||
  die "AI-Toolkit's UI has no node_modules (concurrently, next): ask an admin to run Update or Reinstall for AI-Toolkit"
grep -q 'dist/cron/worker\.js' "$UI_DIR/package.json" ||
  die "ui/package.json's start script no longer runs dist/cron/worker.js: AI-Toolkit's UI has changed how it starts, so the studio cannot start it; run it by hand (npm run start in $UI_DIR)"
[[ -f $UI_DIR/dist/cron/worker.js && -d $UI_DIR/.next ]] ||
  die "AI-Toolkit's UI is not built (no ui/dist/cron/worker.js or ui/.next): ask an admin to run Update for AI-Toolkit"

cd -- "$UI_DIR"
export PATH="$UI_DIR/node_modules/.bin:$PATH"
# shellcheck disable=SC2016 # sh, started by concurrently, expands $PORT and $LISTEN_HOST
ui_command='next start --port "$PORT" --hostname "$LISTEN_HOST"'
# shellcheck disable=SC2054 # -n takes one comma-separated list of names
args=(--restart-tries -1 --restart-after 1000 -n WORKER,UI "node dist/cron/worker.js" "$ui_command")
log "starting AI-Toolkit's UI on $LISTEN_HOST:$PORT"
write_pid_file ai-toolkit
exec concurrently "${args[@]}"
