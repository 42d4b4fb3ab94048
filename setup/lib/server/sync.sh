# shellcheck shell=bash
# start_server.sh, step 1: bring the app folder up to date with REPO_URL (branch REPO_BRANCH, default the
# remote's default branch). Local changes are never thrown away: a tree with changes is left as it is (and
# says so), and a fast-forward that is not possible is skipped.

# A URL fit for a log: without any user name or password in it.
redact_url() { sed -E 's#(://)[^/@[:space:]]*@#\1#g' <<<"$1"; }

sync_repo() {
  [[ -n ${REPO_URL:-} ]] || return 0
  have git || {
    warn "REPO_URL is set but git is not installed; not syncing"
    return 0
  }
  local shown branch=${REPO_BRANCH:-HEAD} err
  shown=$(redact_url "$REPO_URL")
  if [[ ! -d .git ]]; then
    log "no git repository in $APP_DIR yet: fetching $shown ($branch)"
    # The files here came with the image, not from a person: the fetched code replaces them.
    if ! err=$({ git init -q . && git fetch -q --depth 1 "$REPO_URL" "$branch" &&
      git checkout -q -f -B "${REPO_BRANCH:-main}" FETCH_HEAD; } 2>&1); then
      warn "could not fetch $shown; running the code that is here: $(redact_url "$err")"
      rm -rf .git # the empty repository made just now
      return 0
    fi
    log "now at $(git log -1 --format='%h %s')"
    return 0
  fi
  if [[ -n $(git status --porcelain --untracked-files=no 2>/dev/null) ]]; then
    warn "$APP_DIR has local changes; they are kept and the repository is not synced:"
    git status --short --untracked-files=no >&2 || true
    return 0
  fi
  log "syncing from $shown ($branch)"
  if ! err=$(git fetch -q "$REPO_URL" "$branch" 2>&1); then
    warn "could not fetch $shown; running the code that is here: $(redact_url "$err")"
    return 0
  fi
  if ! git merge -q --ff-only FETCH_HEAD; then
    warn "cannot fast-forward to $shown ($branch): this copy has commits of its own; they are kept and the repository is not synced"
    return 0
  fi
  log "now at $(git log -1 --format='%h %s')"
}
