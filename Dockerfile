# ComfyStudio for a RunPod GPU pod.
#
# The studio listens on 8080 and starts the tools on their own ports (see server/tools/registry.ts).
# Tools, models and user files live on the network volume mounted at /workspace; the image holds
# only the studio, Node.js, uv and the system tools the setup scripts use.
#
#   docker buildx build --platform linux/amd64 -t REGISTRY/comfystudio:TAG .   (or ./build_server.sh)

# Node.js LTS and uv are copied from their official images.
FROM node:22-bookworm-slim AS node
FROM ghcr.io/astral-sh/uv:0.8.22 AS uv

# RunPod's PyTorch image: CUDA 12.8, Python 3.11, Ubuntu 22.04.
FROM runpod/pytorch:2.8.0-py3.11-cuda12.8.1-cudnn-devel-ubuntu22.04

LABEL org.opencontainers.image.title="ComfyStudio" \
      org.opencontainers.image.description="A small team's studio server for a RunPod GPU pod: ComfyUI, JupyterLab, AI-Toolkit, SwarmUI and LoRA-Tool behind one page." \
      org.opencontainers.image.licenses="MIT" \
      runpod.http_ports="8080,8188,8888,8675,7861,3000" \
      runpod.port.8080="ComfyStudio" \
      runpod.port.8188="ComfyUI" \
      runpod.port.8888="JupyterLab" \
      runpod.port.8675="AI-Toolkit" \
      runpod.port.7861="SwarmUI" \
      runpod.port.3000="LoRA-Tool"

ARG DEBIAN_FRONTEND=noninteractive
ENV PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    UV_LINK_MODE=copy \
    WORKSPACE_DIR=/workspace \
    HF_HOME=/workspace/.cache/huggingface

# System tools the setup scripts use: git, curl, process and port tools (psmisc, iproute2, lsof,
# procps), ffmpeg and the OpenGL/GLib libraries many custom nodes need, tini as PID 1, sshd for
# RunPod's SSH access. (The base image already has Python 3.11 and a C toolchain; Python
# environments are made with uv.)
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      ca-certificates curl wget git git-lfs jq unzip zip rsync \
      psmisc iproute2 lsof procps tini \
      ffmpeg libgl1 libglib2.0-0 \
      openssh-server \
 && rm -rf /var/lib/apt/lists/*

COPY --from=node /usr/local/bin/node /usr/local/bin/node
COPY --from=node /usr/local/lib/node_modules /usr/local/lib/node_modules
RUN ln -sf ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \
 && ln -sf ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \
 && node --version \
 && npm --version
COPY --from=uv /uv /uvx /usr/local/bin/

WORKDIR /app

# Dependencies first, so a change in the sources alone reuses this layer.
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund

COPY . .
RUN npm run build \
 && npm prune --omit=dev \
 && chmod +x start_server.sh build_server.sh \
 && ./start_server.sh --stamp

# The studio and every tool port.
EXPOSE 8080 8188 8888 8675 7861 3000

HEALTHCHECK --interval=30s --timeout=5s --retries=10 \
  CMD curl -fsS "http://127.0.0.1:${PORT:-8080}/healthz" || exit 1

ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["/app/start_server.sh"]
