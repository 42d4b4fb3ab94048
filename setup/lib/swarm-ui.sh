# shellcheck shell=bash
# SwarmUI (mcmonkeyprojects/SwarmUI): its .NET SDKs on the volume, its build, and the settings files that make
# it use the pod's shared models folder and the studio's ComfyUI instead of downloading both again.
#
# Environment: SWARMUI_REPO_URL, DOTNET_INSTALL_URL (Microsoft's dotnet-install.sh).

[[ -n ${_SETUP_LIB_SWARM:-} ]] && return 0
_SETUP_LIB_SWARM=1
# shellcheck source-path=SCRIPTDIR source=comfy.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/comfy.sh"

SWARM_DIR="$WORKSPACE_DIR/SwarmUI"
SWARM_REPO_URL=${SWARMUI_REPO_URL:-https://github.com/mcmonkeyprojects/SwarmUI.git}
# SwarmUI's .NET SDK, on the volume so that it survives a pod restart.
DOTNET_DIR="$WORKSPACE_DIR/.dotnet"
DOTNET_INSTALL_URL=${DOTNET_INSTALL_URL:-https://dot.net/v1/dotnet-install.sh}

# swarm_preflight: the hosts a SwarmUI install or update needs (git, the .NET installer and its downloads,
# NuGet for the build).
swarm_preflight() {
  preflight "$SWARM_REPO_URL" "$DOTNET_INSTALL_URL" https://builds.dotnet.microsoft.com https://api.nuget.org
}

# dotnet_env: the volume's .NET first on PATH, as SwarmUI's own launcher sets it up
# (launchtools/linux-path-fix.sh): no telemetry, and invariant globalization, without which the .NET CLI
# needs libicu, which the image does not have.
dotnet_env() {
  export DOTNET_ROOT="$DOTNET_DIR"
  export PATH="$DOTNET_DIR:$PATH"
  export DOTNET_CLI_TELEMETRY_OPTOUT=1
  export DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1
  export NUGET_PACKAGES="$WORKSPACE_DIR/.nuget/packages"
}

# swarm_dotnet_channels: sets DOTNET_CHANNELS to the .NET SDK channels SwarmUI's own installer installs
# (the `--channel` of its SDK lines in launchtools/linux-dotnet-install.sh), else the one its project
# targets (src/SwarmUI.csproj), else 8.0, saying so.
swarm_dotnet_channels() {
  local installer="$SWARM_DIR/launchtools/linux-dotnet-install.sh" target
  mapfile -t DOTNET_CHANNELS < <(grep -v -e '--runtime' "$installer" 2>/dev/null |
    sed -n -E 's/.*--channel[[:space:]]+([0-9]+\.[0-9]+).*/\1/p' | sort -u -V || true)
  ((${#DOTNET_CHANNELS[@]})) && return 0
  target=$(sed -n 's/.*<TargetFramework>net\([0-9][0-9]*\.[0-9][0-9]*\)<.*/\1/p' "$SWARM_DIR/src/SwarmUI.csproj" 2>/dev/null | head -n 1 || true)
  if [[ $target =~ ^[0-9]+\.[0-9]+$ ]]; then
    warn "no .NET channels found in $installer: installing .NET $target, the one src/SwarmUI.csproj targets"
    DOTNET_CHANNELS=("$target")
  else
    warn "no .NET channel found in $installer or src/SwarmUI.csproj: installing .NET 8.0"
    DOTNET_CHANNELS=(8.0)
  fi
}

# swarm_install_dotnet: each SDK of DOTNET_CHANNELS that is not in DOTNET_DIR yet.
swarm_install_dotnet() {
  local channel installer="$DOTNET_DIR/dotnet-install.sh" downloaded=0
  swarm_dotnet_channels
  mkdir -p -- "$DOTNET_DIR"
  local sdks=""
  for channel in "${DOTNET_CHANNELS[@]}"; do
    [[ -x $DOTNET_DIR/dotnet ]] && sdks=$("$DOTNET_DIR/dotnet" --list-sdks 2>/dev/null || true)
    if grep -q "^${channel//./\\.}\." <<<"$sdks"; then
      log ".NET SDK $channel is already in $DOTNET_DIR"
      continue
    fi
    if ((!downloaded)); then
      download "$DOTNET_INSTALL_URL" "$installer"
      downloaded=1
    fi
    log "installing the .NET SDK $channel into $DOTNET_DIR"
    retry bash "$installer" --channel "$channel" --install-dir "$DOTNET_DIR" || die "the .NET SDK $channel could not be installed"
  done
  rm -f -- "$installer"
  [[ -x $DOTNET_DIR/dotnet ]] || die ".NET was not installed into $DOTNET_DIR"
}

# swarm_build: the release build launch-linux.sh would otherwise make on its first start.
swarm_build() {
  dotnet_env
  cd -- "$SWARM_DIR" || die "cannot enter $SWARM_DIR"
  run dotnet build src/SwarmUI.csproj --configuration Release -o ./src/bin/live_release || die "SwarmUI could not be built (dotnet build)"
  git rev-parse HEAD >src/bin/last_build
}

# fds_value TEXT: TEXT as a value in SwarmUI's settings files (FreneticDataSyntax: backslash, tab, newline
# and carriage return escaped, a leading or trailing space marked).
fds_value() {
  local s=$1
  s=${s//\\/\\s}
  s=${s//$'\t'/\\t}
  s=${s//$'\n'/\\n}
  s=${s//$'\r'/\\r}
  [[ $s == " "* ]] && s="\\x$s"
  [[ $s == *" " ]] && s="$s\\x"
  printf '%s' "$s"
}

# swarm_settings: on the first install only (SwarmUI owns these files afterwards, and its UI edits them),
# Data/Settings.fds and Data/Backends.fds that skip SwarmUI's installer page (which would download a ComfyUI
# and models of its own): models from the shared models folder, with ComfyUI's folder names, and as its
# backend the studio's ComfyUI install (SwarmUI starts it itself, from $COMFY_DIR/main.py with ComfyUI's
# Python environment, and never updates it: the studio's Update does).
swarm_settings() {
  local data="$SWARM_DIR/Data" models
  models=$(realpath -m -- "$SHARED_MODELS_DIR")
  if [[ $models == *";"* ]]; then
    warn "the shared models folder $models has a ';', which SwarmUI reads as a list: its settings are left to its own installer page"
    return 0
  fi
  if write_file_once "$data/Settings.fds" <<FDS; then
# Written by ComfyStudio on SwarmUI's first install; SwarmUI keeps it up to date from here on.
IsInstalled: true
InstallDate: $(date -u +%Y-%m-%d)
InstallVersion: ComfyStudio
LaunchMode: none
Paths:
	ModelRoot: $(fds_value "$models")
	SDModelFolder: checkpoints
	SDLoraFolder: loras
	SDVAEFolder: vae
	SDEmbeddingFolder: embeddings
FDS
    log "wrote $data/Settings.fds: models from $models"
  elif ! grep -qF -- "$(fds_value "$models")" "$data/Settings.fds" 2>/dev/null; then
    log "SwarmUI's own $data/Settings.fds is kept as it is (its ModelRoot does not name $models)"
  fi
  if write_file_once "$data/Backends.fds" <<FDS; then
0:
	type: comfyui_selfstart
	title: ComfyUI (the studio's install)
	enabled: true
	settings:
		StartScript: $(fds_value "$COMFY_DIR/main.py")
		AutoUpdate: false
		UpdateManagedNodes: false
		GPU_ID: 0
		AutoRestart: true
FDS
    log "wrote $data/Backends.fds: SwarmUI's backend is the studio's ComfyUI in $COMFY_DIR"
  fi
  [[ -f $COMFY_DIR/main.py ]] || warn "ComfyUI is not installed yet: install it before SwarmUI generates anything (SwarmUI runs the studio's ComfyUI)"
}
