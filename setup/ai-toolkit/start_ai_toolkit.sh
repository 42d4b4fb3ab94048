#!/usr/bin/env bash
# Starts AI-Toolkit's web UI in the foreground on $PORT: what `npm run start` in ui/ runs (the job
# worker and `next start` under concurrently), with the UI's port set to $PORT. The UI's start
# script fixes `next start --port 8675`, so the script's command words are read from
# ui/package.json, the port number is replaced, and concurrently is started with those words as
# separate arguments (no shell string is built here).
#
# Environment: PORT (default $AI_TOOLKIT_PORT or 8675), WORKSPACE_DIR, AI_TOOLKIT_AUTH (optional
# password for the UI, read by AI-Toolkit from the environment).
set -euo pipefail
export LOG_TAG=ai-toolkit
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh disable=SC1091
source "$(dirname -- "${BASH_SOURCE[0]}")/../lib/common.sh"

start_port AI_TOOLKIT_PORT 8675
UI_DIR="$AITK_DIR/ui"
require_installed AI-Toolkit "$AITK_DIR" ui/package.json
[[ -d $UI_DIR/node_modules ]] || die "AI-Toolkit's UI has no node_modules: ask an admin to run Update or Reinstall for AI-Toolkit"
have node || die "Node.js is not installed"

# Reads ui/package.json's start script, splits it into words as a shell would (quotes only; any
# other shell syntax is refused), and prints the words after `concurrently`, NUL-separated, with
# the UI's port replaced.
read -r -d '' parse_start <<'JS' || true
const fs = require("fs");
const [file, port] = process.argv.slice(-2);
const fail = (why) => { process.stderr.write(why + "\n"); process.exit(2); };
let script;
try { script = JSON.parse(fs.readFileSync(file, "utf8")).scripts.start; } catch (e) { fail("cannot read the start script: " + e.message); }
if (typeof script !== "string") fail("ui/package.json has no start script");
const words = [];
let word = null;
for (let i = 0; i < script.length; i++) {
  const c = script[i];
  if (c === '"') {
    word = word ?? "";
    for (i++; i < script.length && script[i] !== '"'; i++) {
      if (script[i] === "\\" && i + 1 < script.length) i++;
      word += script[i];
    }
  } else if (c === "'") {
    word = word ?? "";
    for (i++; i < script.length && script[i] !== "'"; i++) word += script[i];
  } else if (/\s/.test(c)) {
    if (word !== null) words.push(word);
    word = null;
  } else if (/[;&|<>`$()\\]/.test(c)) {
    fail("the start script uses shell syntax (" + c + ")");
  } else {
    word = (word ?? "") + c;
  }
}
if (word !== null) words.push(word);
if (words[0] !== "concurrently") fail("the start script does not run concurrently");
let replaced = 0;
const out = words.slice(1).map((w) => w.replace(/(--port[ =]|-p )\d+/g, (_m, flag) => { replaced++; return flag + port; }));
if (replaced === 0) fail("the start script sets no --port");
process.stdout.write(out.map((w) => w + "\0").join(""));
JS

cd -- "$UI_DIR"
export PATH="$UI_DIR/node_modules/.bin:$PATH"
export PORT
words_file=$(mktemp)
start_args=()
if node -e "$parse_start" "$UI_DIR/package.json" "$PORT" >"$words_file"; then
  mapfile -d '' -t start_args <"$words_file"
fi
rm -f -- "$words_file"
if ((${#start_args[@]})); then
  printf -v shown '%q ' concurrently "${start_args[@]}"
  log "starting AI-Toolkit's UI on port $PORT: ${shown% }"
  exec concurrently "${start_args[@]}"
fi
if [[ $PORT == 8675 ]]; then
  log "starting AI-Toolkit's UI with npm run start"
  exec npm run start
fi
die "cannot set AI-Toolkit's port to $PORT: its ui/package.json start script has changed shape (see above); use port 8675"
