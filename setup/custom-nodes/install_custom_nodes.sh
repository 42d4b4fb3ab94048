#!/usr/bin/env bash
# Installs the custom nodes listed in nodes.txt into $WORKSPACE_DIR/ComfyUI/custom_nodes: clones
# each missing one into custom_nodes/{repository name}, installs its requirements.txt into
# ComfyUI's Python environment and runs its install.py when it has one. A node that fails does not
# stop the others; the last line sums up, and the exit status is non-zero when any failed.
# Running it again is harmless: installed nodes are not cloned again. An installed node that is a clone
# of another repository of the same name (the list moved to a maintained fork) gets the listed URL as its
# origin, so the next update pulls from there.
#
# Environment: WORKSPACE_DIR (default /workspace), NODES_FILE (default nodes.txt beside this script).
set -euo pipefail
export LOG_TAG=custom-nodes
# shellcheck source-path=SCRIPTDIR source=../lib/comfy.sh disable=SC1091
source "$(dirname -- "${BASH_SOURCE[0]}")/../lib/comfy.sh"

NODES_FILE=${NODES_FILE:-$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)/nodes.txt}
NODES_DIR="$COMFY_DIR/custom_nodes"

[[ -f $NODES_FILE ]] || die "the list of custom nodes $NODES_FILE is missing"
[[ -d $COMFY_DIR ]] || die "ComfyUI is not installed in $COMFY_DIR: install ComfyUI first"
comfy_python >/dev/null || die "ComfyUI's Python environment $COMFY_VENV is missing: install or reinstall ComfyUI first"
mkdir -p -- "$NODES_DIR"

# The hosts of the listed nodes, and the package index for their requirements.
hosts=()
while IFS= read -r line || [[ -n $line ]]; do
  [[ $line =~ ^[[:space:]]*(https?://[^[:space:]#]+) ]] && hosts+=("${BASH_REMATCH[1]}")
done <"$NODES_FILE"
preflight "${hosts[@]}" "${PYPI_URLS[@]}"

ok=()
failed=()
line_number=0
# The list is read on descriptor 3 so that git, pip and install.py cannot eat it from stdin.
while IFS= read -r line <&3 || [[ -n $line ]]; do
  line_number=$((line_number + 1))
  # Drop comments (a whole line, or " # ..." after the URL) and surrounding blanks.
  line=${line%%[[:space:]]#*}
  line=${line#"${line%%[![:space:]]*}"}
  line=${line%"${line##*[![:space:]]}"}
  [[ -z $line || $line == \#* ]] && continue

  url=$line
  name=${url%/}
  name=${name##*/}
  name=${name##*:}
  name=${name%.git}
  if [[ $url =~ [[:space:]] || ! $url =~ ^(https://|http://|ssh://|git@) || ! $name =~ ^[A-Za-z0-9._-]+$ || $name == . || $name == .. ]]; then
    warn "line $line_number of $NODES_FILE is not a git URL: $line"
    failed+=("line $line_number (not a git URL)")
    continue
  fi

  dest="$NODES_DIR/$name"
  log "--- $name"
  if [[ -d $dest ]]; then
    log "$name is already installed"
    origin=$(git_origin "$dest")
    if [[ -d $dest/.git && -n $origin && $(repo_key "$origin") != "$(repo_key "$url")" ]]; then
      log "$name was cloned from $origin; the list names $url: that is its origin from now on"
      run git -C "$dest" remote set-url origin "$url" || warn "$name: could not change its origin"
    fi
  elif ! clone_repo_into "$url" "$dest" --recurse-submodules; then
    warn "$name could not be cloned from $url"
    failed+=("$name (clone failed)")
    continue
  fi
  if ! comfy_node_requirements "$dest"; then
    warn "$name: requirements or install.py failed"
    failed+=("$name (requirements or install.py failed)")
    continue
  fi
  ok+=("$name")
done 3<"$NODES_FILE"

comfy_nodes_summary installed "${#ok[@]}" "${failed[@]}"
