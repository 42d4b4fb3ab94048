#!/usr/bin/env bash
# Stops a LoRA-Tool started outside the studio: SIGTERM, then SIGKILL after a grace period.
# It finds the process from the pid file the tool writes, and only ends it if it really is the tool.
set -euo pipefail

WORKSPACE_DIR="${WORKSPACE_DIR:-/workspace}"
STATE_DIR="${STATE_DIR:-$WORKSPACE_DIR/.comfystudio}"
PID_FILE="$STATE_DIR/lora-tool/server.pid"
GRACE_SECONDS="${GRACE_SECONDS:-10}"

if [[ ! -f "$PID_FILE" ]]; then
  echo "LoRA-Tool: not running (no $PID_FILE)."
  exit 0
fi

PID="$(tr -cd '0-9' <"$PID_FILE")"
if [[ -z "$PID" ]] || ! kill -0 "$PID" 2>/dev/null; then
  echo "LoRA-Tool: not running (stale pid file removed)."
  rm -f "$PID_FILE"
  exit 0
fi

if ! tr '\0' ' ' <"/proc/$PID/cmdline" 2>/dev/null | grep -q "lora-tool/server/main.js"; then
  echo "LoRA-Tool: process $PID is not the LoRA-Tool; leaving it alone." >&2
  rm -f "$PID_FILE"
  exit 1
fi

echo "LoRA-Tool: stopping process $PID."
kill -TERM "$PID"
for ((i = 0; i < GRACE_SECONDS * 10; i++)); do
  kill -0 "$PID" 2>/dev/null || { echo "LoRA-Tool: stopped."; exit 0; }
  sleep 0.1
done
echo "LoRA-Tool: still running after ${GRACE_SECONDS}s; sending SIGKILL."
kill -KILL "$PID" 2>/dev/null || true
rm -f "$PID_FILE"
