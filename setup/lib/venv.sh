# shellcheck shell=bash
# Python environments: made with uv (pip and venv when uv is missing), CUDA builds of PyTorch.
#
# PYPI_URLS lists the package index hosts an install needs (for `preflight`): PyPI and its file host, or
# the index named by UV_INDEX_URL / UV_DEFAULT_INDEX / PIP_INDEX_URL.

[[ -n ${_SETUP_LIB_VENV:-} ]] && return 0
_SETUP_LIB_VENV=1
# shellcheck source-path=SCRIPTDIR source=net.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/net.sh"

# pip gives up on a host after 2 retries of 30 s (its defaults, 5 retries of 15 s, take minutes offline).
: "${PIP_RETRIES:=2}" "${PIP_DEFAULT_TIMEOUT:=30}"
export PIP_RETRIES PIP_DEFAULT_TIMEOUT

# shellcheck disable=SC2034 # read by the scripts that source this file
if [[ -n ${UV_INDEX_URL:-${UV_DEFAULT_INDEX:-${PIP_INDEX_URL:-}}} ]]; then
  PYPI_URLS=("${UV_INDEX_URL:-${UV_DEFAULT_INDEX:-${PIP_INDEX_URL:-}}}")
else
  PYPI_URLS=(https://pypi.org/simple https://files.pythonhosted.org)
fi

# make_venv DIR: a virtual environment, made with uv when it is on PATH, python3 -m venv otherwise (the
# Python is VENV_PYTHON: a command, or a version such as 3.12; default python3). An existing one is kept.
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
    # A version (3.12) names the interpreter python3.12.
    [[ $python =~ ^[0-9]+\.[0-9]+$ ]] && python="python$python"
    have "$python" || die "neither uv nor $python is installed, so no Python environment can be made"
    run "$python" -m venv "$dir"
  fi
  [[ -x $dir/bin/python ]] || die "the Python environment $dir was not created"
}

# pip_install VENV ARGS...: pip install into VENV (uv pip when uv is on PATH), tried again when it fails
# (see retry; two attempts unless SETUP_RETRIES says otherwise).
pip_install() {
  local venv=$1
  shift
  if have uv; then
    SETUP_RETRIES=${SETUP_RETRIES:-2} retry uv pip install --python "$venv/bin/python" "$@"
  else
    SETUP_RETRIES=${SETUP_RETRIES:-2} retry "$venv/bin/python" -m pip install "$@"
  fi
}

# cuda_version: the CUDA version the driver supports ("12.8"), as nvidia-smi reports it; nothing when there
# is no nvidia-smi or it says nothing.
cuda_version() {
  have nvidia-smi || return 0
  nvidia-smi 2>/dev/null | sed -n 's/.*CUDA Version: *\([0-9][0-9]*\.[0-9][0-9]*\).*/\1/p' | head -n 1 || true
}

# The PyTorch wheel index for this machine: TORCH_INDEX_URL when set, else the CUDA build that the driver
# reported by nvidia-smi supports (cu128 when there is no nvidia-smi).
torch_index_url() {
  if [[ -n ${TORCH_INDEX_URL:-} ]]; then
    printf '%s\n' "$TORCH_INDEX_URL"
    return 0
  fi
  local flavour=cu128 version
  version=$(cuda_version)
  if [[ $version =~ ^([0-9]+)\.([0-9]+)$ ]]; then
    if ((BASH_REMATCH[1] >= 13)); then
      flavour=cu130
    elif ((BASH_REMATCH[1] == 12 && BASH_REMATCH[2] >= 8)); then
      flavour=cu128
    else
      flavour=cu126
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

# remove_venv DIR: removes a Python environment (only when DIR really is one).
remove_venv() {
  local dir=$1
  if [[ -f $dir/pyvenv.cfg ]]; then
    run rm -rf -- "$dir"
  fi
}
