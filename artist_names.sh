#!/usr/bin/env bash
# The studio's users. One name per entry; a ":admin" suffix makes an admin.
# Names: 1-64 letters (any script), digits, spaces, and . - _ '
# The studio reads this file (and notices edits within seconds); running it with bash
# creates every user's ComfyUI output folder.

USERS=(
  "Rosa Macak Cizmesija"
  "Razvan Matei:admin"
  "Ana Horvat"
  'Luka Novak'
)

# When run directly: create each user's output folder.
if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  set -euo pipefail
  output_root="${WORKSPACE_DIR:-/workspace}/ComfyUI/output"
  for entry in "${USERS[@]}"; do
    name="${entry%:admin}"
    mkdir -p -- "$output_root/$name"
    echo "output folder: $output_root/$name"
  done
fi
