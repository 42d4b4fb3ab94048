# shellcheck shell=bash
# The LoRA-Tool ships with the studio and is built with it (`npm run build`; the image builds it and then
# drops the build tools), so its jobs only check that the build is there: none of them needs the compiler.

[[ -n ${_SETUP_LIB_LORA:-} ]] && return 0
_SETUP_LIB_LORA=1
# shellcheck source-path=SCRIPTDIR source=env.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/env.sh"

LORA_MAIN="$REPO_DIR/dist/lora-tool/server/main.js"

# lora_require_built: stops, saying what to do, when the built LoRA-Tool or Node.js is missing.
lora_require_built() {
  have node || die "Node.js is not installed (no node on PATH), so the LoRA-Tool cannot run"
  [[ -f $LORA_MAIN ]] || die "the LoRA-Tool is not built: the build is missing ($LORA_MAIN). It is built with the studio, so run 'npm ci && npm run build' in $REPO_DIR (the container's start_server.sh does this when the sources change), then try again"
}
