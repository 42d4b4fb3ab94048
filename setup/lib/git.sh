# shellcheck shell=bash
# git: clones that never leave a half-made folder, fast-forward-only updates.

[[ -n ${_SETUP_LIB_GIT:-} ]] && return 0
_SETUP_LIB_GIT=1
# shellcheck source-path=SCRIPTDIR source=net.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/net.sh"
# shellcheck source-path=SCRIPTDIR source=files.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/files.sh"

# clone_repo_into URL DEST [GIT_CLONE_OPTIONS...]: clones URL into DEST unless DEST is already a clone
# (retried, see retry). The clone goes to a temporary folder first, so a failed clone never leaves a
# half-made DEST behind. When DEST exists without git (the studio creates ComfyUI/output/{artist} early),
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
  # A failed `git clone` removes the folder it made, so each attempt starts afresh.
  if ! retry git clone "$@" -- "$url" "$tmp"; then
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

# install_clone NAME URL DIR: the first step of an install: DIR becomes a clone of URL (one that is there
# already is kept).
install_clone() {
  local name=$1 url=$2 dir=$3
  have git || die "git is not installed"
  log "installing $name into $dir"
  clone_repo_into "$url" "$dir" || die "$name could not be cloned from $url"
}

# git_pull DIR: fast-forward DIR to its upstream; returns non-zero (saying why) when it cannot.
git_pull() {
  local dir=$1
  if ! run git -C "$dir" pull --ff-only; then
    warn "git could not fast-forward $dir; local changes there:"
    git -C "$dir" status --short >&2 || true
    return 1
  fi
}

# git_origin DIR: the URL of DIR's origin remote (nothing when it has none).
git_origin() { git -C "$1" remote get-url origin 2>/dev/null || true; }

# repo_key URL: host/owner/name of a git URL, lower case, whatever its scheme (https://, ssh://, git@host:),
# so that two URLs of the same repository compare equal.
repo_key() {
  local key=${1,,}
  key=${key#*://}
  key=${key#*@}
  key=${key/://}
  key=${key%/}
  printf '%s\n' "${key%.git}"
}

# git_head DIR: "abc1234 subject" of DIR's checked-out commit.
git_head() { git -C "$1" log -1 --format='%h %s' 2>/dev/null || echo 'version unknown'; }
