# shellcheck shell=bash
# AI-Toolkit (ostris/ai-toolkit), installed the way its own installer does it (manager/spec.py, manager/env.py
# and its Dockerfile): a Python environment with the torch, torchvision and torchaudio versions that
# manager/spec.py pins for the pod's CUDA line (cu126 or cu130), kept in place by a constraints file while
# requirements.txt installs, then its torchcodec upgrade; the web UI with `npm ci` (its package-lock.json
# is tracked), `npm run update_db` and `npm run build`. The versions are read from the clone each time, so
# an update follows upstream when its pins move. (The optional accelerators upstream adds, flash-attn and
# NATTEN, are not installed: training runs without them.)
#
# Environment: AI_TOOLKIT_REPO_URL, TORCH_INDEX_URL (wins over the CUDA line), AITK_PYTHON (default: the
# version manager/spec.py names, else 3.12), AITK_TORCH_PACKAGES ("torch==X torchvision==Y torchaudio==Z",
# when upstream's pins cannot be read).

[[ -n ${_SETUP_LIB_AITK:-} ]] && return 0
_SETUP_LIB_AITK=1
# shellcheck source-path=SCRIPTDIR source=env.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/env.sh"
# shellcheck source-path=SCRIPTDIR source=git.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/git.sh"
# shellcheck source-path=SCRIPTDIR source=venv.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/venv.sh"

AITK_DIR="$WORKSPACE_DIR/ai-toolkit"
AITK_REPO_URL=${AI_TOOLKIT_REPO_URL:-https://github.com/ostris/ai-toolkit.git}
AITK_VENV="$AITK_DIR/venv"
AITK_SPEC="$AITK_DIR/manager/spec.py"
AITK_NPM_REGISTRY=${NPM_CONFIG_REGISTRY:-${npm_config_registry:-https://registry.npmjs.org}}

# aitk_preflight: the hosts an AI-Toolkit install or update needs.
aitk_preflight() {
  local index=${TORCH_INDEX_URL:-https://download.pytorch.org/whl/cu130}
  preflight "$AITK_REPO_URL" "$index" "${PYPI_URLS[@]}" "$AITK_NPM_REGISTRY"
}

# aitk_read_pins: sets AITK_TORCH (torch==X torchvision==Y torchaudio==Z), AITK_TORCHCODEC (torchcodec==V, or
# empty) and AITK_PYTHON from manager/spec.py. Stops, saying what to do, when the torch pins cannot be read.
aitk_read_pins() {
  local line rest name
  local -A found=()
  AITK_TORCH=()
  if [[ -n ${AITK_TORCH_PACKAGES:-} ]]; then
    read -r -a AITK_TORCH <<<"$AITK_TORCH_PACKAGES"
  else
    line=$(grep -m 1 -E '^TORCH[[:space:]]*=[[:space:]]*\{' "$AITK_SPEC" 2>/dev/null || true)
    rest=$line
    while [[ $rest =~ \"([a-z]+)\"[[:space:]]*:[[:space:]]*\"([0-9][0-9A-Za-z.+]*)\"(.*)$ ]]; do
      found[${BASH_REMATCH[1]}]=${BASH_REMATCH[2]}
      rest=${BASH_REMATCH[3]}
    done
    for name in torch torchvision torchaudio; do
      [[ -n ${found[$name]:-} ]] || die "cannot read the PyTorch versions AI-Toolkit pins (the line 'TORCH = {...}' in $AITK_SPEC): its installer has changed. Set AITK_TORCH_PACKAGES='torch==X torchvision==Y torchaudio==Z' to choose them, and run this again."
      AITK_TORCH+=("$name==${found[$name]}")
    done
  fi
  AITK_TORCHCODEC=$(sed -n -E 's/^TORCHCODEC[[:space:]]*=[[:space:]]*"(torchcodec[^"]*)".*/\1/p' "$AITK_SPEC" 2>/dev/null | head -n 1 || true)
  [[ -n $AITK_TORCHCODEC ]] || warn "no torchcodec pin in $AITK_SPEC (the line 'TORCHCODEC = \"...\"'): torchcodec is left as requirements.txt has it"
  if [[ -z ${AITK_PYTHON:-} ]]; then
    AITK_PYTHON=$(sed -n -E 's/.*python_version[[:space:]]*=[[:space:]]*"([0-9]+\.[0-9]+)".*/\1/p' "$AITK_SPEC" 2>/dev/null | head -n 1 || true)
    AITK_PYTHON=${AITK_PYTHON:-3.12}
  fi
}

# aitk_torch_index: sets AITK_INDEX (the PyTorch wheel index) and AITK_FLAVOUR (its local version tag, cu130,
# or empty) by upstream's rule: CUDA 13 or newer -> cu130, 12.6 up to 13 -> cu126, older -> stop.
aitk_torch_index() {
  local version
  if [[ -n ${TORCH_INDEX_URL:-} ]]; then
    AITK_INDEX=${TORCH_INDEX_URL%/}
    AITK_FLAVOUR=${AITK_INDEX##*/}
    [[ $AITK_FLAVOUR =~ ^(cu[0-9]+|rocm[0-9.]+|cpu)$ ]] || AITK_FLAVOUR=""
    return 0
  fi
  version=$(cuda_version)
  if [[ -z $version ]]; then
    warn "nvidia-smi reports no CUDA version (no NVIDIA GPU seen): installing the cu130 build"
    AITK_FLAVOUR=cu130
  elif [[ $version =~ ^([0-9]+)\.([0-9]+)$ ]] && ((BASH_REMATCH[1] >= 13)); then
    AITK_FLAVOUR=cu130
  elif ((BASH_REMATCH[1] == 12 && BASH_REMATCH[2] >= 6)); then
    warn "the NVIDIA driver supports CUDA $version only: installing the cu126 build (a driver for CUDA 13 is recommended)"
    AITK_FLAVOUR=cu126
  else
    die "the NVIDIA driver supports CUDA $version only, which is too old for AI-Toolkit's PyTorch (it needs CUDA 12.6 or newer): use a pod with a newer driver"
  fi
  AITK_INDEX="https://download.pytorch.org/whl/$AITK_FLAVOUR"
}

# aitk_python_env: the Python environment, as upstream's installer makes it (see the top of this file).
aitk_python_env() {
  aitk_read_pins
  aitk_torch_index
  VENV_PYTHON=$AITK_PYTHON make_venv "$AITK_VENV"
  local have_version want tag="" pin constraints="$AITK_VENV/aitk_torch_constraints.txt"
  have_version=$("$AITK_VENV/bin/python" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null || true)
  if [[ -n $have_version && $have_version != "$AITK_PYTHON" ]]; then
    warn "$AITK_VENV runs Python $have_version, AI-Toolkit asks for $AITK_PYTHON: run Reinstall for AI-Toolkit if it misbehaves"
  fi
  [[ -n $AITK_FLAVOUR ]] && tag="+$AITK_FLAVOUR"
  local -a pinned=() links=()
  for pin in "${AITK_TORCH[@]}"; do
    pinned+=("$pin$tag")
    links+=(--find-links "$AITK_INDEX/${pin%%==*}/")
  done
  want=$(printf '%s\n' "${pinned[@]}" | sort | tr '\n' ' ')
  if [[ $(aitk_installed_torch) == "$want" ]]; then
    log "PyTorch is already ${pinned[*]}"
  else
    log "installing PyTorch ${AITK_TORCH[*]} from $AITK_INDEX"
    pip_install "$AITK_VENV" "${AITK_TORCH[@]}" --index-url "$AITK_INDEX"
  fi
  # Nothing below may swap the CUDA build of torch for another one.
  printf '%s\n' "# Written by ComfyStudio from AI-Toolkit's manager/spec.py: keeps the CUDA build of torch." "${pinned[@]}" >"$constraints"
  pip_install "$AITK_VENV" -r "$AITK_DIR/requirements.txt" --constraint "$constraints" "${links[@]}"
  if [[ -n $AITK_TORCHCODEC ]]; then
    pip_install "$AITK_VENV" --upgrade "$AITK_TORCHCODEC" --constraint "$constraints" "${links[@]}"
  fi
}

# aitk_installed_torch: "torch==X torchaudio==Y torchvision==Z " as installed in the environment (sorted).
aitk_installed_torch() {
  "$AITK_VENV/bin/python" -c 'import importlib.metadata as m
for n in ("torch", "torchaudio", "torchvision"):
    print("%s==%s" % (n, m.version(n)))' 2>/dev/null | sort | tr '\n' ' ' || true
}

# aitk_ui: the web UI in ui/: `npm ci` (npm install --no-save when there is no package-lock.json, so the
# tracked files stay as they are), then update_db (prisma) and build. Leaves the working folder in ui/.
aitk_ui() {
  have npm || die "Node.js and npm are needed for AI-Toolkit's UI, and npm is not installed"
  [[ -f $AITK_DIR/ui/package.json ]] || die "$AITK_DIR/ui/package.json is missing: AI-Toolkit's layout has changed"
  cd -- "$AITK_DIR/ui" || die "cannot enter $AITK_DIR/ui"
  if [[ -f package-lock.json ]]; then
    retry npm ci --no-audit --no-fund || die "AI-Toolkit's UI packages could not be installed (npm ci)"
  else
    warn "ui/package-lock.json is missing: installing with npm install --no-save"
    retry npm install --no-save --no-audit --no-fund || die "AI-Toolkit's UI packages could not be installed (npm install)"
  fi
  run npm run update_db || die "AI-Toolkit's UI database could not be prepared (npm run update_db)"
  run npm run build || die "AI-Toolkit's UI could not be built (npm run build)"
}
