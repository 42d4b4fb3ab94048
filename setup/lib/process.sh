# shellcheck shell=bash
# The tools' processes: found again by pid files, stopped with one ladder.
#
# A start script calls `write_pid_file TOOL` just before it execs the tool, so the file names the tool's own
# process: $STATE_DIR/run/{TOOL}.{PORT}.pid holding "PID START_TICKS BOOT_ID" (the process id, its start time
# in clock ticks since boot from /proc/PID/stat, and the kernel's boot id). A kill script stops only
# processes named by such a file that still match all three (a reused pid or a file from before a reboot
# never matches), with everything they started. It never stops a process just because it listens on the
# tool's port, and never one the studio did not start: those are named and left running.
#
# The stop ladder: SIGTERM to the processes, then SIGKILL to those still there after STOP_GRACE_MS
# milliseconds (the studio passes its own setting; default 10000). Worst case: STOP_GRACE_MS, plus up to
# STOP_KILL_WAIT_MS (2000) for the killed processes to be gone: 12 s with the defaults.

[[ -n ${_SETUP_LIB_PROCESS:-} ]] && return 0
_SETUP_LIB_PROCESS=1
# shellcheck source-path=SCRIPTDIR source=env.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/env.sh"

STOP_KILL_WAIT_MS=2000

# The pid files of TOOL's running copies, one per port.
pid_file_for() { printf '%s/run/%s.%s.pid\n' "$STATE_DIR" "$1" "$2"; }

# proc_start_ticks PID: the start time of PID in clock ticks since boot (field 22 of /proc/PID/stat; the
# command name before it may hold spaces, so fields are counted after its closing parenthesis).
proc_start_ticks() {
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  stat=${stat##*) }
  local -a fields
  read -r -a fields <<<"$stat"
  printf '%s\n' "${fields[19]}"
}

boot_id() { cat /proc/sys/kernel/random/boot_id 2>/dev/null || echo unknown; }

# The command line of PID as one line.
pid_cmdline() { tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null || true; }

# Whether PID exists and is not a zombie.
pid_alive() {
  kill -0 "$1" 2>/dev/null && [[ $(ps -o stat= -p "$1" 2>/dev/null) != Z* ]]
}

# write_pid_file TOOL: records this process (which is about to exec the tool) as TOOL on $PORT.
write_pid_file() {
  local file
  file=$(pid_file_for "$1" "$PORT")
  mkdir -p -- "$(dirname -- "$file")"
  printf '%s %s %s\n' "$$" "$(proc_start_ticks "$$")" "$(boot_id)" >"$file.tmp-$$"
  mv -f -- "$file.tmp-$$" "$file"
}

# tool_pids TOOL PATTERN: the pid of each running copy of TOOL, from its pid files, whose process still
# matches the file and whose command line matches the extended regular expression PATTERN. Pid files that
# name no such process are removed.
tool_pids() {
  local tool=$1 pattern=$2 file pid ticks boot
  shopt -s nullglob
  local -a files=("$STATE_DIR/run/$tool".*.pid)
  shopt -u nullglob
  for file in "${files[@]}"; do
    pid='' ticks='' boot=''
    read -r pid ticks boot _ <"$file" 2>/dev/null || true
    if [[ $pid =~ ^[0-9]+$ ]] && pid_alive "$pid" && [[ $(proc_start_ticks "$pid") == "$ticks" &&
      $(boot_id) == "$boot" && $(pid_cmdline "$pid") =~ $pattern ]]; then
      printf '%s\n' "$pid"
    else
      rm -f -- "$file"
    fi
  done
}

# pids_matching PATTERN: processes whose command line matches PATTERN (not this script). One `ps` lists
# them all: a pod runs hundreds of processes, and a fork per process made a stop take seconds under load.
pids_matching() {
  local pattern=$1 table pid args
  table=$(ps -ww -e -o pid=,args= 2>/dev/null) || return 0
  while read -r pid args; do
    # A command line may hold a newline: its next line starts with no pid.
    [[ $pid =~ ^[0-9]+$ && $pid != "$$" && $pid != "$BASHPID" ]] || continue
    [[ $args =~ $pattern ]] && printf '%s\n' "$pid"
  done <<<"$table"
  return 0
}

# pid_ancestors PID: PID's parents, nearest first, up to (not including) PID 1.
pid_ancestors() {
  local pid=$1 ppid
  while :; do
    ppid=$(ps -o ppid= -p "$pid" 2>/dev/null | tr -d ' ') || return 0
    [[ -z $ppid || $ppid -le 1 ]] && return 0
    printf '%s\n' "$ppid"
    pid=$ppid
  done
}

# pid_family PID...: every child, grandchild, ... of the given processes, and the members of the process
# groups they lead (a tool's helpers that were reparented but stayed in its group). This script and its own
# helper processes are never part of it.
pid_family() {
  local table
  table=$(ps -e -o pid=,ppid=,pgid= 2>/dev/null) || return 0
  awk -v roots="$*" -v self="$$" '
    { ppid[$1] = $2; pgid[$1] = $3; n++; pids[n] = $1 }
    function mine(p,   hops) {
      for (hops = 0; p > 1 && hops < 1000; hops++) { if (p == self) return 1; p = ppid[p] }
      return 0
    }
    END {
      split(roots, list, " ")
      for (i in list) root[list[i]] = 1
      for (k = 1; k <= n; k++) {
        p = pids[k]
        if ((p in root) || mine(p)) continue
        found = (pgid[p] in root)
        for (q = ppid[p]; !found && q > 1 && (q in ppid); q = ppid[q]) if (q in root) found = 1
        if (found) print p
      }
    }' <<<"$table"
}

now_ms() {
  local t=${EPOCHREALTIME//[.,]/}
  printf '%s\n' "$((t / 1000))"
}

# STOP_GRACE_MS checked (a whole number of milliseconds, at most an hour), default 10000.
STOP_GRACE_MS=${STOP_GRACE_MS:-10000}
if [[ ! $STOP_GRACE_MS =~ ^[0-9]{1,7}$ ]] || ((10#$STOP_GRACE_MS > 3600000)); then
  die "STOP_GRACE_MS must be a whole number of milliseconds up to 3600000 (got '$STOP_GRACE_MS')"
fi
STOP_GRACE_MS=$((10#$STOP_GRACE_MS))

# stop_processes KEEP_PATTERN PID...: the stop ladder for the given processes and their family (see
# pid_family). Processes whose command line matches KEEP_PATTERN (an extended regular expression; empty =
# none) are left alone, and so are this script, its own helpers and every process above it.
stop_processes() {
  local keep=$1 grace=$STOP_GRACE_MS pid
  shift
  local -a targets=() family=() mine=()
  local -A seen=([$$]=1 [$BASHPID]=1)
  # This script and the processes above it (the studio that runs it) are never stopped.
  mapfile -t mine < <(pid_ancestors "$$")
  for pid in "${mine[@]}"; do
    seen[$pid]=1
  done
  mapfile -t family < <(pid_family "$@")
  for pid in "$@" "${family[@]}"; do
    [[ $pid =~ ^[0-9]+$ && -z ${seen[$pid]:-} ]] || continue
    seen[$pid]=1
    if [[ -n $keep ]] && [[ $(pid_cmdline "$pid") =~ $keep ]]; then
      log "leaving process $pid running: $(pid_cmdline "$pid")"
      continue
    fi
    targets+=("$pid")
  done
  if ((${#targets[@]} == 0)); then
    log "nothing to stop"
    return 0
  fi
  log "stopping processes: ${targets[*]}"
  kill -TERM "${targets[@]}" 2>/dev/null || true
  local start deadline killed=0 alive
  start=$(now_ms)
  deadline=$((start + grace))
  while :; do
    alive=()
    for pid in "${targets[@]}"; do
      pid_alive "$pid" && alive+=("$pid")
    done
    ((${#alive[@]} == 0)) && break
    if (($(now_ms) >= deadline)); then
      if ((killed)); then
        warn "still there ${STOP_KILL_WAIT_MS} ms after SIGKILL: ${alive[*]}"
        break
      fi
      log "still running after ${grace} ms, killing: ${alive[*]}"
      kill -KILL "${alive[@]}" 2>/dev/null || true
      killed=1
      deadline=$(($(now_ms) + STOP_KILL_WAIT_MS))
    fi
    sleep 0.1
  done
  log "stopped"
}

# kill_tool NAME TOOL PATTERN [--keep PATTERN]
# Stops the copies of TOOL the studio started (its pid files, see tool_pids) with the stop ladder; PATTERN
# (an extended regular expression) must match their command line. --keep PATTERN: processes to leave
# running (stop_processes' KEEP_PATTERN). Processes that match PATTERN but that the studio did not start are
# named and left running.
kill_tool() {
  local name=$1 tool=$2 pattern=$3 keep='' pid
  shift 3
  if (($#)); then
    [[ $1 == --keep && $# == 2 ]] || die "kill_tool: unknown options: $*"
    keep=$2
  fi
  local -a pids=() others=()
  mapfile -t pids < <(tool_pids "$tool" "$pattern")
  if ((${#pids[@]})); then
    log "stopping $name"
    stop_processes "$keep" "${pids[@]}"
    tool_pids "$tool" "$pattern" >/dev/null
  else
    log "$name is not running (no process started by the studio)"
  fi
  mapfile -t others < <(pids_matching "$pattern")
  for pid in "${others[@]}"; do
    pid_alive "$pid" && log "left running, not started by the studio: process $pid: $(pid_cmdline "$pid")"
  done
  return 0
}
