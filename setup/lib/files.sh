# shellcheck shell=bash
# Files and folders: merging one tree into another without losing anything.

[[ -n ${_SETUP_LIB_FILES:-} ]] && return 0
_SETUP_LIB_FILES=1
# shellcheck source-path=SCRIPTDIR source=log.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/log.sh"

# merge_into SRC DST: moves everything in SRC into DST. Where both hold a folder of the same name the two
# are merged; where both hold a file (or a git repository), DST keeps its own and SRC's copy stays where it
# is, so nothing is ever lost (a copy identical to DST's is dropped). SRC is removed only when it ends up
# empty.
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

# write_file_once FILE: writes stdin to FILE unless FILE (or a link by that name) exists already, through a
# temporary file and a rename, so a half-written FILE never exists. Returns 1 when FILE was there.
write_file_once() {
  local file=$1
  if [[ -e $file || -L $file ]]; then
    cat >/dev/null
    return 1
  fi
  mkdir -p -- "$(dirname -- "$file")"
  cat >"$file.tmp-$$"
  mv -n -- "$file.tmp-$$" "$file"
  rm -f -- "$file.tmp-$$"
}
