#!/usr/bin/env bash
# Starts ComfyUI in the foreground on $LISTEN_HOST:$PORT, saving into $OUTPUT_DIR (the output root: each
# artist's files land in its {artist}/ folder through the studio's gateway), with one ComfyUI user per artist
# (--multi-user) and ComfyUI-Manager (--enable-manager). ComfyUI's Python environment comes first on PATH,
# for custom nodes that run pip. The final `exec` makes ComfyUI this script's process, so the studio
# supervises it directly; its pid file lets kill_comfy.sh find it.
#
# Environment: PORT (default $COMFYUI_PORT or 8188), LISTEN_HOST (default 127.0.0.1), OUTPUT_DIR (default
# ComfyUI/output), WORKSPACE_DIR, COMFY_USE_SAGE_ATTENTION (auto|0|1, default auto: on when the
# sageattention package imports), COMFY_EXTRA_ARGS (more ComfyUI flags, split on whitespace; never
# evaluated).
set -euo pipefail
export LOG_TAG=comfy
# shellcheck source-path=SCRIPTDIR source=../lib/comfy.sh disable=SC1091
source "$(dirname -- "${BASH_SOURCE[0]}")/../lib/comfy.sh"
# shellcheck source-path=SCRIPTDIR source=../lib/process.sh disable=SC1091
source "$(dirname -- "${BASH_SOURCE[0]}")/../lib/process.sh"

start_port COMFYUI_PORT 8188
listen_host
require_installed ComfyUI "$COMFY_DIR" main.py
OUTPUT_DIR=${OUTPUT_DIR:-$COMFY_DIR/output}

if python=$(comfy_python); then
  comfy_use_venv
else
  have python3 || die "ComfyUI's Python environment $COMFY_VENV is missing and there is no python3: run Reinstall for ComfyUI"
  warn "ComfyUI's Python environment $COMFY_VENV is missing; trying the system python3 (run Reinstall for ComfyUI to fix this)"
  python=python3
fi

# A git update may have put a real models folder back; link the shared one again.
if [[ ! -L $COMFY_DIR/models ]]; then
  comfy_link_models || warn "could not link $COMFY_DIR/models to $SHARED_MODELS_DIR"
fi

mkdir -p -- "$OUTPUT_DIR"

args=(main.py --listen "$LISTEN_HOST" --port "$PORT" --multi-user --output-directory "$OUTPUT_DIR")
# A ComfyUI from before the comfyui_manager package has no manager_requirements.txt, and refuses the flag.
if [[ -f $COMFY_DIR/manager_requirements.txt ]]; then
  args+=(--enable-manager)
else
  warn "this ComfyUI is older than --enable-manager (no manager_requirements.txt): starting without ComfyUI-Manager; run Update for ComfyUI"
fi
args+=(--disable-auto-launch --preview-method auto)

case ${COMFY_USE_SAGE_ATTENTION:-auto} in
  1 | yes | true) args+=(--use-sage-attention) ;;
  0 | no | false) ;;
  *)
    if "$python" -c 'import sageattention' >/dev/null 2>&1; then
      args+=(--use-sage-attention)
    else
      log "sageattention is not installed; running without --use-sage-attention"
    fi
    ;;
esac

if [[ -n ${COMFY_EXTRA_ARGS:-} ]]; then
  read -r -a extra <<<"$COMFY_EXTRA_ARGS"
  args+=("${extra[@]}")
fi

cd -- "$COMFY_DIR"
printf -v shown '%q ' "$python" "${args[@]}"
log "starting ComfyUI for ${STUDIO_USER:-(no artist)}: ${shown% }"
write_pid_file comfy-ui
exec "$python" "${args[@]}"
