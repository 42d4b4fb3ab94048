# shellcheck shell=bash
# Shared helpers for the studio's setup scripts. Source it; it runs nothing by itself.
#
#   source "$(dirname -- "${BASH_SOURCE[0]}")/../lib/common.sh"
#
# After sourcing: WORKSPACE_DIR (default /workspace) and REPO_DIR (default: the repository this
# file lives in) are set and exported; where each tool lives (COMFY_DIR, JUPYTER_VENV, AITK_DIR,
# SWARM_DIR, ...) is set as well. Nothing here ever builds a shell string from input or uses eval;
# every command gets its arguments as separate words.

COMMON_LIB_DIR="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)"
: "${WORKSPACE_DIR:=/workspace}"
: "${REPO_DIR:=$(cd -- "$COMMON_LIB_DIR/../.." && pwd)}"
export WORKSPACE_DIR REPO_DIR
: "${LOG_TAG:=setup}"

# The standard ComfyUI model folders kept in the shared models folder.
COMFY_MODEL_FOLDERS=(
  checkpoints diffusion_models unet vae text_encoders clip clip_vision loras controlnet
  upscale_models embeddings configs hypernetworks style_models gligen photomaker vae_approx
  audio_encoders model_patches latent_upscale_models diffusers
)

# ---------------------------------------------------------------------------------------------
# Messages

log() { printf '[%s] %s\n' "$LOG_TAG" "$*"; }
warn() { printf '[%s] warning: %s\n' "$LOG_TAG" "$*" >&2; }
die() {
  printf '[%s] error: %s\n' "$LOG_TAG" "$*" >&2
  exit 1
}

# Prints a command (shell-quoted, for reading only) and runs it.
run() {
  local shown
  printf -v shown '%q ' "$@"
  log "+ ${shown% }"
  "$@"
}

have() { command -v "$1" >/dev/null 2>&1; }

timestamp() { date -u +%Y%m%d-%H%M%S; }

# require_port NAME VALUE: a whole number 1-65535, or the script stops naming NAME.
require_port() {
  local name=$1 value=$2
  if [[ ! $value =~ ^[0-9]{1,5}$ ]] || ((10#$value < 1 || 10#$value > 65535)); then
    die "$name must be a port number between 1 and 65535 (got '$value')"
  fi
}

# ---------------------------------------------------------------------------------------------
# Steps every tool's scripts share

# start_port PORT_VARIABLE DEFAULT: sets PORT for a start script (PORT as the studio passes it, else
# the tool's own PORT_VARIABLE, else DEFAULT) and stops when it is not a port number.
start_port() {
  PORT=${PORT:-${!1:-$2}}
  require_port PORT "$PORT"
}

# require_installed NAME DIR FILE: stops, asking for an Install, when DIR/FILE is missing.
require_installed() {
  local name=$1 dir=$2 file=$3
  [[ -f $dir/$file ]] || die "$name is not installed in $dir: ask an admin to run Install for $name"
}

# install_clone NAME URL DIR: the first step of an install: DIR becomes a clone of URL (one that is
# there already is kept).
install_clone() {
  local name=$1 url=$2 dir=$3
  have git || die "git is not installed"
  log "installing $name into $dir"
  clone_repo_into "$url" "$dir"
}

# ---------------------------------------------------------------------------------------------
# Python environments

# make_venv DIR: a virtual environment, made with uv when it is on PATH, python3 -m venv otherwise.
# An existing one is kept.
make_venv() {
  local dir=$1 python=${VENV_PYTHON:-python3}
  if [[ -x $dir/bin/python ]]; then
    log "Python environment already there: $dir"
    return 0
  fi
  mkdir -p -- "$(dirname -- "$dir")"
  if have uv; then
    run uv venv --seed --python "$python" "$dir"
  else
    have "$python" || die "neither uv nor $python is installed, so no Python environment can be made"
    run "$python" -m venv "$dir"
  fi
  [[ -x $dir/bin/python ]] || die "the Python environment $dir was not created"
}

# pip_install VENV ARGS...: pip install into VENV (uv pip when uv is on PATH).
pip_install() {
  local venv=$1
  shift
  if have uv; then
    run uv pip install --python "$venv/bin/python" "$@"
  else
    run "$venv/bin/python" -m pip install "$@"
  fi
}

# The PyTorch wheel index for this machine: TORCH_INDEX_URL when set, else the CUDA build that the
# driver reported by nvidia-smi supports (cu128 when there is no nvidia-smi).
torch_index_url() {
  if [[ -n ${TORCH_INDEX_URL:-} ]]; then
    printf '%s\n' "$TORCH_INDEX_URL"
    return 0
  fi
  local flavour=cu128 version major minor
  if have nvidia-smi; then
    version=$(nvidia-smi 2>/dev/null | sed -n 's/.*CUDA Version: *\([0-9][0-9]*\.[0-9][0-9]*\).*/\1/p' | head -n 1 || true)
    if [[ $version =~ ^([0-9]+)\.([0-9]+)$ ]]; then
      major=${BASH_REMATCH[1]}
      minor=${BASH_REMATCH[2]}
      if ((major >= 13)); then
        flavour=cu130
      elif ((major == 12 && minor >= 8)); then
        flavour=cu128
      else
        flavour=cu126
      fi
    fi
  fi
  printf 'https://download.pytorch.org/whl/%s\n' "$flavour"
}

# install_torch VENV: a CUDA build of torch, torchvision and torchaudio.
install_torch() {
  local venv=$1 index
  index=$(torch_index_url)
  log "installing PyTorch from $index"
  pip_install "$venv" torch torchvision torchaudio --index-url "$index"
}

# ---------------------------------------------------------------------------------------------
# Files and folders

# merge_into SRC DST: moves everything in SRC into DST. Where both hold a folder of the same name
# the two are merged; where both hold a file (or a git repository), DST keeps its own and SRC's
# copy stays where it is, so nothing is ever lost (a copy identical to DST's is dropped). SRC is
# removed only when it ends up empty.
merge_into() {
  local src=$1 dst=$2 entry name
  if [[ ! -e $dst && ! -L $dst ]]; then
    mkdir -p -- "$(dirname -- "$dst")"
    mv -- "$src" "$dst"
    return 0
  fi
  if [[ -L $src || ! -d $src ]]; then
    log "kept both: $dst stays, the other copy stays at $src"
    return 0
  fi
  shopt -s dotglob nullglob
  for entry in "$src"/*; do
    name=${entry##*/}
    if [[ ! -e $dst/$name && ! -L $dst/$name ]]; then
      mv -- "$entry" "$dst/$name"
    elif [[ -d $entry && ! -L $entry && ! -e $entry/.git && -d $dst/$name ]]; then
      merge_into "$entry" "$dst/$name"
    elif [[ -f $entry && ! -L $entry && -f $dst/$name ]] && cmp -s -- "$entry" "$dst/$name"; then
      rm -f -- "$entry" # the same file is already there
    else
      log "kept both: $dst/$name stays, the other copy stays at $entry"
    fi
  done
  shopt -u dotglob nullglob
  rmdir -- "$src" 2>/dev/null || true
}

# ---------------------------------------------------------------------------------------------
# git

# clone_repo_into URL DEST [GIT_CLONE_OPTIONS...]: clones URL into DEST unless DEST is already a
# clone. The clone goes to a temporary folder first, so a failed clone never leaves a half-made
# DEST behind. When DEST exists without git (the studio creates ComfyUI/output/{artist} early),
# the fresh files are merged into it and every file already there is kept.
clone_repo_into() {
  local url=$1 dest=$2
  shift 2
  if [[ -d $dest/.git ]]; then
    log "already cloned: $dest"
    return 0
  fi
  local tmp
  tmp="$(dirname -- "$dest")/.$(basename -- "$dest").partial-$$"
  mkdir -p -- "$(dirname -- "$dest")"
  [[ -e $tmp ]] && rm -rf -- "$tmp"
  if ! run git clone "$@" -- "$url" "$tmp"; then
    rm -rf -- "$tmp"
    return 1
  fi
  if [[ -e $dest ]]; then
    log "$dest already exists without git: adding the fresh files and keeping everything already there"
    merge_into "$tmp" "$dest"
    # What is left of the temporary clone is only files that $dest already had.
    rm -rf -- "$tmp"
  else
    mv -- "$tmp" "$dest"
  fi
}

# git_pull DIR: fast-forward DIR to its upstream; stops with the reason when it cannot.
git_pull() {
  local dir=$1
  if ! run git -C "$dir" pull --ff-only; then
    warn "git could not fast-forward $dir; local changes there:"
    git -C "$dir" status --short >&2 || true
    return 1
  fi
}

# ---------------------------------------------------------------------------------------------
# Processes

# pids_on_port PORT: the processes listening on TCP PORT, one a line.
pids_on_port() {
  local port=$1
  {
    if have ss; then
      ss -H -ltnp "sport = :$port" 2>/dev/null | grep -o 'pid=[0-9]*' | cut -d= -f2 || true
    elif have lsof; then
      lsof -t -iTCP:"$port" -sTCP:LISTEN 2>/dev/null || true
    elif have fuser; then
      fuser -n tcp "$port" 2>/dev/null | tr -s ' ' '\n' || true
    else
      warn "none of ss, lsof or fuser is installed: cannot see who listens on port $port"
    fi
  } | grep -E '^[0-9]+$' | sort -un || true
}

# pids_with_cwd DIR PATTERN: processes whose working folder is DIR (or below it) and whose command
# line matches the extended regular expression PATTERN.
pids_with_cwd() {
  local dir=$1 pattern=$2 proc pid cwd cmdline
  dir=$(realpath -m -- "$dir")
  for proc in /proc/[0-9]*; do
    pid=${proc#/proc/}
    [[ $pid == "$$" || $pid == "$BASHPID" ]] && continue
    cwd=$(readlink -- "$proc/cwd" 2>/dev/null) || continue
    [[ $cwd == "$dir" || $cwd == "$dir"/* ]] || continue
    cmdline=$(tr '\0' ' ' <"$proc/cmdline" 2>/dev/null) || continue
    [[ $cmdline =~ $pattern ]] && printf '%s\n' "$pid"
  done
  return 0
}

# pids_matching PATTERN: processes whose command line matches PATTERN (not this script).
pids_matching() {
  local pattern=$1 proc pid cmdline
  for proc in /proc/[0-9]*; do
    pid=${proc#/proc/}
    [[ $pid == "$$" || $pid == "$BASHPID" ]] && continue
    cmdline=$(tr '\0' ' ' <"$proc/cmdline" 2>/dev/null) || continue
    [[ $cmdline =~ $pattern ]] && printf '%s\n' "$pid"
  done
  return 0
}

# The command line of PID as one line.
pid_cmdline() { tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null || true; }

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

# pid_descendants PID...: every child, grandchild, ... of the given processes.
pid_descendants() {
  local table queue=("$@") pid child
  table=$(ps -e -o pid=,ppid= 2>/dev/null) || return 0
  while ((${#queue[@]})); do
    pid=${queue[0]}
    queue=("${queue[@]:1}")
    while read -r child; do
      [[ -n $child ]] || continue
      printf '%s\n' "$child"
      queue+=("$child")
    done < <(awk -v p="$pid" '$2 == p { print $1 }' <<<"$table")
  done
}

# stop_processes KEEP_PATTERN PID...: SIGTERM to the given processes and all their descendants,
# then SIGKILL to whatever is still there after KILL_GRACE_SECONDS (default 10). Processes whose
# command line matches KEEP_PATTERN (an extended regular expression; empty = none) are left alone,
# and so are this script and every process above it (the studio that runs it is never stopped).
stop_processes() {
  local keep=$1 grace=${KILL_GRACE_SECONDS:-10} pid
  shift
  local -a targets=() candidates=() ancestors=()
  local -A seen=([$$]=1 [$BASHPID]=1)
  mapfile -t ancestors < <(pid_ancestors "$$")
  for pid in "${ancestors[@]}"; do
    seen[$pid]=1
  done
  mapfile -t candidates < <(pid_descendants "$@")
  for pid in "$@" "${candidates[@]}"; do
    [[ $pid =~ ^[0-9]+$ ]] || continue
    [[ -n ${seen[$pid]:-} ]] && continue
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
  local deadline=$((SECONDS + grace)) alive
  while :; do
    alive=()
    for pid in "${targets[@]}"; do
      if kill -0 "$pid" 2>/dev/null && [[ $(ps -o stat= -p "$pid" 2>/dev/null) != Z* ]]; then
        alive+=("$pid")
      fi
    done
    ((${#alive[@]} == 0)) && break
    if ((SECONDS >= deadline)); then
      log "still running after ${grace}s, killing: ${alive[*]}"
      kill -KILL "${alive[@]}" 2>/dev/null || true
      break
    fi
    sleep 0.2
  done
  log "stopped"
}

# kill_tool NAME PORT_VARIABLE PORT [--parent TEXT] [--cwd DIR PATTERN] [--matching PATTERN]
#           [--keep PATTERN]
# Stops a tool with stop_processes: whatever listens on PORT, and
#   --parent TEXT         each process above a listener whose command line contains TEXT (the
#                         launcher that would otherwise start the tool again);
#   --cwd DIR PATTERN     processes running from DIR (or below it) whose command line matches PATTERN;
#   --matching PATTERN    processes whose command line matches PATTERN;
#   --keep PATTERN        processes to leave running (stop_processes' KEEP_PATTERN).
# PORT is the tool's port as the studio sets it (PORT_VARIABLE, named when it is not a port number).
# A kill script never reads PORT: in the studio's own environment it may be the studio's port.
kill_tool() {
  local name=$1 variable=$2 port=$3 parent='' cwd='' cwd_pattern='' matching='' keep='' pid ancestor
  shift 3
  while (($#)); do
    case $1 in
      --parent) parent=$2 ;;
      --matching) matching=$2 ;;
      --keep) keep=$2 ;;
      --cwd)
        cwd=$2
        cwd_pattern=$3
        shift
        ;;
      *) die "kill_tool: unknown option $1" ;;
    esac
    shift 2
  done
  require_port "$variable" "$port"

  local -a listeners=() pids=()
  mapfile -t listeners < <(pids_on_port "$port")
  pids=("${listeners[@]}")
  if [[ -n $parent ]]; then
    for pid in "${listeners[@]}"; do
      while read -r ancestor; do
        [[ $(pid_cmdline "$ancestor") == *"$parent"* ]] && pids+=("$ancestor")
      done < <(pid_ancestors "$pid")
    done
  fi
  if [[ -n $cwd ]]; then
    mapfile -t -O "${#pids[@]}" pids < <(pids_with_cwd "$cwd" "$cwd_pattern")
  fi
  if [[ -n $matching ]]; then
    mapfile -t -O "${#pids[@]}" pids < <(pids_matching "$matching")
  fi

  log "stopping $name (port $port)"
  stop_processes "$keep" "${pids[@]}"
}

# ---------------------------------------------------------------------------------------------
# ComfyUI

COMFY_DIR="$WORKSPACE_DIR/ComfyUI"
COMFY_VENV="$COMFY_DIR/venv"
SHARED_MODELS_DIR="${SHARED_MODELS_DIR:-$WORKSPACE_DIR/models}"
COMFY_REPO_URL="${COMFY_REPO_URL:-https://github.com/comfyanonymous/ComfyUI.git}"
COMFY_MANAGER_URL="${COMFY_MANAGER_URL:-https://github.com/Comfy-Org/ComfyUI-Manager.git}"
EXTRA_MODEL_PATHS_HEADER="# Written by ComfyStudio: ComfyUI reads the shared models folder from here."

# comfy_link_models: the shared models folder holds every model; ComfyUI/models is a link to it, so
# the studio's downloads into ComfyUI/models/... land there too and a reinstall never touches them.
# A real ComfyUI/models folder (a fresh clone, or a git update that put one back) is merged into
# the shared folder first.
comfy_link_models() {
  local link="$COMFY_DIR/models" target folder
  mkdir -p -- "$SHARED_MODELS_DIR"
  for folder in "${COMFY_MODEL_FOLDERS[@]}"; do
    mkdir -p -- "$SHARED_MODELS_DIR/$folder"
  done
  if [[ -L $link ]]; then
    if [[ $(realpath -m -- "$link") != "$(realpath -m -- "$SHARED_MODELS_DIR")" ]]; then
      warn "$link links to $(readlink -- "$link"), not to $SHARED_MODELS_DIR; leaving it as it is"
    fi
  else
    if [[ -d $link ]]; then
      log "moving $link into the shared models folder $SHARED_MODELS_DIR"
      merge_into "$link" "$SHARED_MODELS_DIR"
      if [[ -e $link ]]; then
        local aside
        aside="$COMFY_DIR/models.kept-$(timestamp)"
        log "files that the shared folder already had are kept at $aside"
        mv -- "$link" "$aside"
      fi
    elif [[ -e $link ]]; then
      die "$link is a file, not a folder; move it away and run this again"
    fi
    # A relative link keeps working when the volume is mounted somewhere else.
    if [[ $(realpath -m -- "$SHARED_MODELS_DIR") == "$(realpath -m -- "$WORKSPACE_DIR/models")" &&
      $(realpath -m -- "$COMFY_DIR") == "$(realpath -m -- "$WORKSPACE_DIR/ComfyUI")" ]]; then
      target=../models
    else
      target=$(realpath -m -- "$SHARED_MODELS_DIR")
    fi
    run ln -s -- "$target" "$link"
  fi
  comfy_quiet_git_models
}

# Keeps `git status` clean and git updates working while ComfyUI/models is a link: git ignores the
# link (so an update that adds a model folder replaces the link instead of failing; the next start
# or update links it again) and does not report the tracked placeholder files behind it.
comfy_quiet_git_models() {
  [[ -d $COMFY_DIR/.git ]] || return 0
  local exclude="$COMFY_DIR/.git/info/exclude"
  mkdir -p -- "$COMFY_DIR/.git/info"
  if ! grep -qx '/models' "$exclude" 2>/dev/null; then
    printf '%s\n' '/models' >>"$exclude"
  fi
  local -a tracked=()
  local file
  while IFS= read -r -d '' file; do
    [[ $file == models/* ]] && tracked+=("$file")
  done < <(git -C "$COMFY_DIR" ls-files -z 2>/dev/null || true)
  if ((${#tracked[@]})); then
    git -C "$COMFY_DIR" update-index --skip-worktree -- "${tracked[@]}" 2>/dev/null || true
  fi
}

# A YAML single-quoted string.
yaml_quote() {
  local s=${1//\'/\'\'}
  printf "'%s'" "$s"
}

# comfy_write_extra_model_paths: ComfyUI/extra_model_paths.yaml naming the shared models folder.
# A file someone wrote by hand is left alone.
comfy_write_extra_model_paths() {
  local file="$COMFY_DIR/extra_model_paths.yaml"
  if [[ -f $file ]] && ! grep -qxF "$EXTRA_MODEL_PATHS_HEADER" "$file"; then
    warn "$file was written by hand; leaving it as it is (add $SHARED_MODELS_DIR to it yourself)"
    return 0
  fi
  local base folder
  base=$(realpath -m -- "$SHARED_MODELS_DIR")
  {
    printf '%s\n' "$EXTRA_MODEL_PATHS_HEADER"
    printf '%s\n' "# It is written again by install, update and reinstall; edits here are lost."
    printf 'comfystudio:\n'
    printf '    base_path: %s\n' "$(yaml_quote "$base/")"
    printf '    is_default: true\n'
    for folder in "${COMFY_MODEL_FOLDERS[@]}"; do
      case $folder in
        unet | clip) ;; # listed under diffusion_models and text_encoders below
        diffusion_models) printf '    diffusion_models: |\n        diffusion_models/\n        unet/\n' ;;
        text_encoders) printf '    text_encoders: |\n        text_encoders/\n        clip/\n' ;;
        *) printf '    %s: %s/\n' "$folder" "$folder" ;;
      esac
    done
  } >"$file.tmp"
  mv -- "$file.tmp" "$file"
  log "wrote $file (models from $base)"
}

# comfy_python: the Python that runs ComfyUI.
comfy_python() {
  if [[ -x $COMFY_VENV/bin/python ]]; then
    printf '%s\n' "$COMFY_VENV/bin/python"
  else
    return 1
  fi
}

# comfy_node_requirements NODE_DIR: the node's requirements.txt into ComfyUI's environment, then its
# install.py when it has one. Returns non-zero when either fails.
comfy_node_requirements() {
  local node=$1 python
  python=$(comfy_python) || {
    warn "ComfyUI's Python environment $COMFY_VENV is missing"
    return 1
  }
  if [[ -f $node/requirements.txt ]]; then
    pip_install "$COMFY_VENV" -r "$node/requirements.txt" || return 1
  fi
  if [[ -f $node/install.py ]]; then
    (cd -- "$node" && run "$python" install.py) || return 1
  fi
  return 0
}

# comfy_nodes_summary VERB OK_COUNT FAILED...: the closing lines of a custom nodes run ("custom
# nodes: 12 installed, 1 failed", then each failure); stops with an error when any failed.
comfy_nodes_summary() {
  local verb=$1 ok=$2 item
  shift 2
  log "custom nodes: $ok $verb, $# failed"
  if (($#)); then
    for item in "$@"; do
      log "failed: $item"
    done
    die "some custom nodes failed: $*"
  fi
}

# ---------------------------------------------------------------------------------------------
# JupyterLab, AI-Toolkit and SwarmUI

JUPYTER_VENV=${JUPYTER_VENV:-$WORKSPACE_DIR/.venvs/jupyterlab}

# jupyter_packages install|upgrade: JupyterLab and ipywidgets into JUPYTER_VENV (made when it is
# missing); `upgrade` brings them to their newest versions.
jupyter_packages() {
  local -a options=()
  case $1 in
    install) ;;
    upgrade) options=(--upgrade) ;;
    *) die "jupyter_packages: install or upgrade, not '$1'" ;;
  esac
  make_venv "$JUPYTER_VENV"
  pip_install "$JUPYTER_VENV" "${options[@]}" jupyterlab ipywidgets
}

# Where AI-Toolkit and SwarmUI live; read by their scripts.
# shellcheck disable=SC2034
{
  AITK_DIR="$WORKSPACE_DIR/ai-toolkit"
  AITK_REPO_URL=${AI_TOOLKIT_REPO_URL:-https://github.com/ostris/ai-toolkit.git}
  SWARM_DIR="$WORKSPACE_DIR/SwarmUI"
  SWARM_REPO_URL=${SWARMUI_REPO_URL:-https://github.com/mcmonkeyprojects/SwarmUI.git}
  # SwarmUI's .NET SDK, on the volume so that it survives a pod restart.
  DOTNET_DIR="$WORKSPACE_DIR/.dotnet"
}

# ---------------------------------------------------------------------------------------------
# Reinstall

# move_aside DIR: renames DIR to DIR.old-{time} and prints the new name.
move_aside() {
  local dir=$1 aside
  aside="$dir.old-$(timestamp)"
  while [[ -e $aside ]]; do aside="$aside-1"; done
  mv -- "$dir" "$aside"
  printf '%s\n' "$aside"
}

# restore_kept OLD NEW NAME...: moves each NAME (file or folder) from the old tree into the new
# one, merging folders; anything the new tree already has stays in OLD.
restore_kept() {
  local old=$1 new=$2 name
  shift 2
  for name in "$@"; do
    if [[ -e $old/$name || -L $old/$name ]]; then
      log "keeping $name"
      merge_into "$old/$name" "$new/$name"
    fi
  done
}

# remove_venv DIR: removes a Python environment (only when DIR really is one).
remove_venv() {
  local dir=$1
  if [[ -f $dir/pyvenv.cfg ]]; then
    run rm -rf -- "$dir"
  fi
}

# remove_folder DIR: removes DIR (build output, node_modules, ...) when it is a folder.
remove_folder() {
  local dir=$1
  if [[ -d $dir ]]; then
    run rm -rf -- "$dir"
  fi
}

# install_when_missing NAME DIR INSTALL_SCRIPT: with nothing at DIR there is nothing to keep, so a
# reinstall is just INSTALL_SCRIPT (it replaces this process).
install_when_missing() {
  local name=$1 dir=$2 install=$3
  if [[ ! -e $dir ]]; then
    log "$name is not installed yet; installing"
    exec bash "$install"
  fi
}

# clone_again NAME URL DIR OLD: clones URL into DIR, whose old tree was just moved aside to OLD.
# When the clone fails, OLD is put back (folders made in DIR meanwhile, such as the output folders
# the studio makes for new artists, are merged into it) and the script stops.
clone_again() {
  local name=$1 url=$2 dir=$3 old=$4
  if ! clone_repo_into "$url" "$dir"; then
    warn "the clone failed; putting the old $name back"
    [[ -e $dir ]] && merge_into "$dir" "$old"
    [[ -e $dir ]] || mv -- "$old" "$dir"
    die "$name was not reinstalled (the old one is back in $dir)"
  fi
}

# reinstall_keeping NAME DIR URL INSTALL_SCRIPT KEEP...: reinstalls a tool that lives in one git
# clone without losing what its users made. DIR is renamed to DIR.old-{time} (REINSTALL_OLD names
# it afterwards), URL is cloned into DIR afresh, each KEEP path (file or folder, relative to DIR) is
# moved back into it, and INSTALL_SCRIPT does the rest. With nothing at DIR it is just
# INSTALL_SCRIPT. The old tree stays, so anything that could not be moved back is still there.
reinstall_keeping() {
  local name=$1 dir=$2 url=$3 install=$4
  shift 4
  install_when_missing "$name" "$dir" "$install"
  REINSTALL_OLD=$(move_aside "$dir")
  log "the old $name is now $REINSTALL_OLD"
  clone_again "$name" "$url" "$dir" "$REINSTALL_OLD"
  restore_kept "$REINSTALL_OLD" "$dir" "$@"
  bash "$install"
}

# reinstall_done NAME OLD: the closing lines of a reinstall whose old tree is kept at OLD.
reinstall_done() {
  local name=$1 old=$2
  log "$name is reinstalled. The old tree is kept at $old (its code, and any file that could not be moved back);"
  log "delete it once the new $name works."
}
