# shellcheck shell=bash
# start_server.sh, step 3: runs the studio (`node dist/server/main.js`, or STUDIO_SERVER_CMD) and starts it
# again when it exits, after a pause that grows (1 s, 2 s, 4 s ... 30 s) while it keeps failing and starts
# over after a run of STUDIO_GOOD_RUN_SECONDS (default 60). On SIGTERM or SIGINT it sends SIGTERM to the
# studio, waits for it to exit and exits with its status, without starting it again; a second signal sends
# SIGKILL. Each start gets its secrets as setup/lib/server/secrets.sh says.

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

# stopped STATUS: the end of start_server.sh once the studio is stopped: its secrets file gone, STATUS.
stopped() {
  [[ -n $SECRETS_FILE ]] && rm -f -- "$SECRETS_FILE"
  fail_after "$1"
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
    secrets_for_next_start
    log "starting the studio: ${cmd[*]}"
    (
      export_secrets
      export NODE_ENV=${NODE_ENV:-production}
      exec "${cmd[@]}"
    ) &
    child=$!
    # `wait` returns early (status > 128) when a signal arrives: wait again until the studio has really
    # exited, and take its own exit status.
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
      stopped "$status"
    fi
    if ((ran >= good_run)); then
      delay=$first_delay
    fi
    log "the studio exited with status $status after ${ran}s; starting it again in ${delay} ms"
    pause_ms "$delay"
    if ((stopping)); then
      log "stopped"
      stopped 0
    fi
    delay=$((delay * 2))
    ((delay > max_delay)) && delay=$max_delay
    ((delay < 1)) && delay=1
  done
}
