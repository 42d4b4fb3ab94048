#!/usr/bin/env bash
# Reinstalling the LoRA-Tool is a rebuild; datasets and settings are left untouched.
set -euo pipefail
echo "LoRA-Tool: reinstalling means rebuilding; your datasets and settings stay as they are."
exec bash "$(dirname "${BASH_SOURCE[0]}")/install_lora_tool.sh"
