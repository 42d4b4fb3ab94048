#!/usr/bin/env bash
# Deletes an old copy a reinstall left beside a tool (DIR is $WORKSPACE_DIR/{folder}.old-{time}), and says how
# much disk it freed. The studio lists and checks the name first; this script checks again that DIR is a real
# folder directly in the workspace with an old copy's name, and never crosses into another filesystem.
#
# Usage: delete_old_copy.sh DIR
# Environment: WORKSPACE_DIR (default /workspace).
set -euo pipefail
export LOG_TAG=old-copy
# shellcheck source-path=SCRIPTDIR source=../lib/log.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/../lib/log.sh"

(($# == 1)) || die "usage: delete_old_copy.sh DIR"
workspace=$(realpath -- "${WORKSPACE_DIR:-/workspace}")
dir=$1
name=$(basename -- "$dir")
[[ $(realpath -- "$(dirname -- "$dir")") == "$workspace" ]] || die "$dir is not directly in the workspace $workspace"
[[ $name =~ ^[A-Za-z0-9_-]+\.old-[0-9]{8}-[0-9]{6}(-1)*$ ]] || die "$name is not the name of an old copy"
[[ -L $dir ]] && die "$name is a link, not an old copy"
[[ -d $dir ]] || die "$name is no longer in the workspace"

bytes=$(du -s -x -B1 -- "$dir" | cut -f1) || bytes=""
human=$(numfmt --to=si --suffix=B -- "${bytes:-0}" 2>/dev/null || printf '%s bytes' "${bytes:-?}")
log "deleting $name ($human)"
rm -rf --one-file-system -- "$dir"
[[ -e $dir ]] && die "$name could not be deleted completely"
log "deleted $name: $human freed"
