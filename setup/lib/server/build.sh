# shellcheck shell=bash
# start_server.sh, step 2: `npm ci` when the package files changed since the last one, and `npm run build`
# when they or the sources changed since the last build (hash stamps in node_modules/.comfystudio-stamp and
# dist/.comfystudio-stamp). The package files are package.json, package-lock.json and the package.json of
# each npm workspace (packages/*, lora-tool); the sources are what `npm run build` compiles.

DEPS_STAMP="node_modules/.comfystudio-stamp"
BUILD_STAMP="dist/.comfystudio-stamp"

hash_files() { sha256sum -- "$@" 2>/dev/null | sha256sum | cut -d' ' -f1; }

deps_hash() {
  local -a files=(package.json)
  local file
  for file in package-lock.json lora-tool/package.json packages/*/package.json; do
    [[ -f $file ]] && files+=("$file")
  done
  { node --version 2>/dev/null || true; hash_files "${files[@]}"; } | sha256sum | cut -d' ' -f1
}

sources_hash() {
  local -a dirs=()
  local dir
  for dir in server lora-tool packages; do
    [[ -d $dir ]] && dirs+=("$dir")
  done
  {
    deps_hash
    find . -maxdepth 1 -type f -name 'tsconfig*.json' -print0 | sort -z | xargs -0 -r sha256sum
    if ((${#dirs[@]})); then
      find "${dirs[@]}" -type f -not -path '*/node_modules/*' -print0 | sort -z | xargs -0 -r sha256sum
    fi
  } | sha256sum | cut -d' ' -f1
}

write_stamps() {
  mkdir -p node_modules dist
  deps_hash >"$DEPS_STAMP"
  sources_hash >"$BUILD_STAMP"
}

prepare() {
  [[ -f package.json ]] || die "$APP_DIR/package.json is missing"
  if [[ ${STUDIO_SKIP_BUILD:-0} == 1 ]]; then
    log "STUDIO_SKIP_BUILD=1: not installing or building"
    return 0
  fi
  have npm || die "npm is not installed"
  local want have_deps have_build
  want=$(deps_hash)
  have_deps=$(cat "$DEPS_STAMP" 2>/dev/null || true)
  if [[ $want != "$have_deps" || ! -d node_modules ]]; then
    log "dependencies changed: npm ci"
    run npm ci --no-audit --no-fund || die "npm ci failed (see above): the studio's packages could not be installed"
    deps_hash >"$DEPS_STAMP"
  fi
  want=$(sources_hash)
  have_build=$(cat "$BUILD_STAMP" 2>/dev/null || true)
  if [[ $want == "$have_build" && -f dist/server/main.js ]]; then
    log "the build is up to date"
    return 0
  fi
  if [[ ! -e node_modules/.bin/tsc ]]; then
    # The image keeps production dependencies only; building needs the rest.
    log "the build needs the development dependencies: npm ci"
    run npm ci --no-audit --no-fund || die "npm ci failed (see above): the build tools could not be installed"
    deps_hash >"$DEPS_STAMP"
  fi
  log "sources changed: npm run build"
  if run npm run build; then
    mkdir -p dist
    sources_hash >"$BUILD_STAMP"
  elif [[ -f dist/server/main.js ]]; then
    warn "the build failed; running the previous build"
  else
    die "the build failed and there is no previous build to run"
  fi
}
