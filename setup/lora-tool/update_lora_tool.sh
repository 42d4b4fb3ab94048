#!/usr/bin/env bash
# The LoRA-Tool updates with the studio (git pull of this repository); this rebuilds it.
set -euo pipefail
echo "LoRA-Tool: it updates together with the studio; rebuilding the current code."
exec bash "$(dirname "${BASH_SOURCE[0]}")/install_lora_tool.sh"
