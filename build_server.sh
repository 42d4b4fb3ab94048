#!/usr/bin/env bash
# Builds the studio's image for RunPod (linux/amd64) with docker buildx and pushes it.
#
#   REGISTRY=docker.io/yourname ./build_server.sh
#   REGISTRY=ghcr.io/yourorg IMAGE=comfystudio TAG=1.2.0 ./build_server.sh
#
# Environment:
#   REGISTRY   where to push, e.g. docker.io/yourname or ghcr.io/yourorg (required)
#   IMAGE      image name (default comfystudio)
#   TAG        image tag (default: the current git commit's short hash, else "latest")
#   PLATFORM   target platform (default linux/amd64, what RunPod runs)
#   PUSH       1 pushes (default); 0 loads the image into the local docker instead
#   LATEST     1 also tags the image as :latest (default 1)
#   BUILDER    a buildx builder to use (default: the current one)
# Log in first (docker login REGISTRY); no credential is read or printed here.
set -euo pipefail

APP_DIR="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)"
cd -- "$APP_DIR"

die() {
  printf '[build_server] error: %s\n' "$*" >&2
  exit 1
}
log() { printf '[build_server] %s\n' "$*"; }

[[ -n ${REGISTRY:-} ]] || die "REGISTRY is not set. Say where to push, e.g.: REGISTRY=docker.io/yourname ./build_server.sh"
REGISTRY=${REGISTRY%/}
IMAGE=${IMAGE:-comfystudio}
if [[ -z ${TAG:-} ]]; then
  TAG=$(git rev-parse --short HEAD 2>/dev/null || true)
  TAG=${TAG:-latest}
fi
PLATFORM=${PLATFORM:-linux/amd64}
PUSH=${PUSH:-1}
LATEST=${LATEST:-1}

[[ $REGISTRY =~ ^[A-Za-z0-9._:/-]+$ ]] || die "REGISTRY '$REGISTRY' is not a registry path like docker.io/yourname"
[[ $IMAGE =~ ^[a-z0-9][a-z0-9._/-]*$ ]] || die "IMAGE '$IMAGE' is not a valid image name (lower case letters, digits, . _ - /)"
[[ $TAG =~ ^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$ ]] || die "TAG '$TAG' is not a valid tag"
[[ $PUSH == 0 || $PUSH == 1 ]] || die "PUSH must be 0 or 1"
command -v docker >/dev/null 2>&1 || die "docker is not installed"
docker buildx version >/dev/null 2>&1 || die "docker buildx is not available (install the buildx plugin)"

ref="$REGISTRY/$IMAGE:$TAG"
args=(buildx build --platform "$PLATFORM" --tag "$ref")
if [[ $LATEST == 1 && $TAG != latest ]]; then
  args+=(--tag "$REGISTRY/$IMAGE:latest")
fi
if [[ -n ${BUILDER:-} ]]; then
  args+=(--builder "$BUILDER")
fi
if [[ $PUSH == 1 ]]; then
  args+=(--push)
else
  args+=(--load)
fi
args+=(--file "$APP_DIR/Dockerfile" "$APP_DIR")

printf -v shown '%q ' docker "${args[@]}"
log "${shown% }"
docker "${args[@]}"
if [[ $PUSH == 1 ]]; then
  log "pushed $ref"
else
  log "built $ref (loaded into the local docker)"
fi
