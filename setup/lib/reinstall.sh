# shellcheck shell=bash
# Reinstalls that keep what users made: the old tree is moved aside, a fresh one cloned, the user's files
# moved back, and the old tree kept until the admin deletes it.

[[ -n ${_SETUP_LIB_REINSTALL:-} ]] && return 0
_SETUP_LIB_REINSTALL=1
# shellcheck source-path=SCRIPTDIR source=git.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/git.sh"
# shellcheck source-path=SCRIPTDIR source=venv.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/venv.sh"

# move_aside DIR: renames DIR to DIR.old-{time} and prints the new name.
move_aside() {
  local dir=$1 aside
  aside="$dir.old-$(timestamp)"
  while [[ -e $aside ]]; do aside="$aside-1"; done
  mv -- "$dir" "$aside"
  printf '%s\n' "$aside"
}

# restore_kept OLD NEW NAME...: moves each NAME (file or folder) from the old tree into the new one,
# merging folders; anything the new tree already has stays in OLD.
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

# remove_folder DIR: removes DIR (build output, node_modules, ...) when it is a folder.
remove_folder() {
  local dir=$1
  if [[ -d $dir ]]; then
    run rm -rf -- "$dir"
  fi
}

# install_when_missing NAME DIR INSTALL_SCRIPT: with nothing at DIR there is nothing to keep, so a reinstall
# is just INSTALL_SCRIPT (it replaces this process).
install_when_missing() {
  local name=$1 dir=$2 install=$3
  if [[ ! -e $dir ]]; then
    log "$name is not installed yet; installing"
    exec bash "$install"
  fi
}

# clone_again NAME URL DIR OLD: clones URL into DIR, whose old tree was just moved aside to OLD. When the
# clone fails, OLD is put back (folders made in DIR meanwhile, such as the output folders the studio makes
# for new artists, are merged into it) and the script stops.
clone_again() {
  local name=$1 url=$2 dir=$3 old=$4
  if ! clone_repo_into "$url" "$dir"; then
    warn "the clone failed; putting the old $name back"
    [[ -e $dir ]] && merge_into "$dir" "$old"
    [[ -e $dir ]] || mv -- "$old" "$dir"
    die "$name was not reinstalled (the old one is back in $dir)"
  fi
}

# reinstall_keeping NAME DIR URL INSTALL_SCRIPT KEEP...: reinstalls a tool that lives in one git clone
# without losing what its users made. DIR is renamed to DIR.old-{time} (REINSTALL_OLD names it afterwards),
# URL is cloned into DIR afresh, each KEEP path (file or folder, relative to DIR) is moved back into it, and
# INSTALL_SCRIPT does the rest. With nothing at DIR it is just INSTALL_SCRIPT. The old tree stays, so
# anything that could not be moved back is still there.
reinstall_keeping() {
  local name=$1 dir=$2 url=$3 install=$4
  shift 4
  install_when_missing "$name" "$dir" "$install"
  REINSTALL_OLD=$(move_aside "$dir")
  log "the old $name is now $REINSTALL_OLD"
  clone_again "$name" "$url" "$dir" "$REINSTALL_OLD"
  restore_kept "$REINSTALL_OLD" "$dir" "$@"
  local status=0
  bash "$install" || status=$?
  if ((status)); then
    warn "the old $name is kept at $REINSTALL_OLD"
    fail_after "$status"
  fi
}

# reinstall_done NAME OLD: the closing lines of a reinstall whose old tree is kept at OLD.
reinstall_done() {
  local name=$1 old=$2
  log "$name is reinstalled. The old tree is kept at $old (its code, and any file that could not be moved back);"
  log "delete it (the studio's Admin panel, Old copies) once the new $name works."
}
