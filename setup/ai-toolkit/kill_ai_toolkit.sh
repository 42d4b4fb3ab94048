#!/usr/bin/env bash
# Stops the AI-Toolkit UI the studio started (found by its pid file, see setup/lib/process.sh): concurrently,
# the job worker and Next.js, with their child processes. Training runs (`python run.py ...`) are left
# running: they do not need the UI, and the UI picks them up again. SIGTERM first, SIGKILL after
# STOP_GRACE_MS (default 10000 ms). An AI-Toolkit someone started by hand is named and left running.
#
# Environment: WORKSPACE_DIR, STATE_DIR, STOP_GRACE_MS.
set -euo pipefail
export LOG_TAG=ai-toolkit-kill
# shellcheck source-path=SCRIPTDIR source=../lib/process.sh disable=SC1091
source "$(dirname -- "${BASH_SOURCE[0]}")/../lib/process.sh"

kill_tool "AI-Toolkit's UI" ai-toolkit 'concurrently.*dist/cron/worker\.js' --keep '(^|[ /])run\.py( |$)'
