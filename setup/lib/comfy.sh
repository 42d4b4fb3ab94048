# shellcheck shell=bash
# ComfyUI: where it lives, the shared models folder, its Python, ComfyUI-Manager, custom nodes' requirements.

[[ -n ${_SETUP_LIB_COMFY:-} ]] && return 0
_SETUP_LIB_COMFY=1
# shellcheck source-path=SCRIPTDIR source=env.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/env.sh"
# shellcheck source-path=SCRIPTDIR source=git.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/git.sh"
# shellcheck source-path=SCRIPTDIR source=venv.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/venv.sh"

# The standard ComfyUI model folders kept in the shared models folder.
COMFY_MODEL_FOLDERS=(
  checkpoints diffusion_models unet vae text_encoders clip clip_vision loras controlnet
  upscale_models embeddings configs hypernetworks style_models gligen photomaker vae_approx
  audio_encoders model_patches latent_upscale_models diffusers
)

COMFY_DIR="$WORKSPACE_DIR/ComfyUI"
COMFY_VENV="$COMFY_DIR/venv"
SHARED_MODELS_DIR="${SHARED_MODELS_DIR:-$WORKSPACE_DIR/models}"
COMFY_REPO_URL="${COMFY_REPO_URL:-https://github.com/comfyanonymous/ComfyUI.git}"
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

# comfy_use_venv: ComfyUI's Python environment comes first on PATH (and is VIRTUAL_ENV), so a custom node
# that runs `pip` or `python` (in its install.py, or later from inside ComfyUI) gets ComfyUI's own.
comfy_use_venv() {
  export VIRTUAL_ENV="$COMFY_VENV"
  case ":$PATH:" in
    *":$COMFY_VENV/bin:"*) ;;
    *) export PATH="$COMFY_VENV/bin:$PATH" ;;
  esac
}

# comfy_node_requirements NODE_DIR: the node's requirements.txt into ComfyUI's environment, then its
# install.py when it has one (with ComfyUI's environment first on PATH). Returns non-zero when either fails.
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
    (cd -- "$node" && comfy_use_venv && run "$python" install.py) || return 1
  fi
  return 0
}

# comfy_manager: ComfyUI-Manager as ComfyUI ships it now: the `comfyui_manager` package pinned in ComfyUI's
# manager_requirements.txt, switched on by `main.py --enable-manager` (start_comfy.sh passes it). A ComfyUI
# without that file predates the package: it says so and goes on without the Manager. An old
# custom_nodes/ComfyUI-Manager clone is left in place; ComfyUI does not load it while the package is on.
comfy_manager() {
  local requirements="$COMFY_DIR/manager_requirements.txt"
  if [[ ! -f $requirements ]]; then
    warn "$requirements is missing (a ComfyUI older than the comfyui_manager package): ComfyUI-Manager is not installed; run Update for ComfyUI"
    return 0
  fi
  log "ComfyUI-Manager (comfyui_manager, from manager_requirements.txt)"
  pip_install "$COMFY_VENV" -r "$requirements" || die "ComfyUI-Manager (the comfyui_manager package) could not be installed"
  if [[ -d $COMFY_DIR/custom_nodes/ComfyUI-Manager ]]; then
    log "custom_nodes/ComfyUI-Manager (the old clone) is left in place; with --enable-manager ComfyUI uses the package instead"
  fi
}

# comfy_preflight: the hosts a ComfyUI install or update needs.
comfy_preflight() {
  preflight "$COMFY_REPO_URL" "$(torch_index_url)" "${PYPI_URLS[@]}"
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
