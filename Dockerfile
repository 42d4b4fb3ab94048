# syntax=docker/dockerfile:1
# ComfyStudio for a RunPod GPU pod.
#
# The studio listens on 8080 and on every tool's port, and starts the tools on internal ports on 127.0.0.1
# (see server/tools/registry.ts). Tools, models and user files live on the network volume mounted at
# /workspace; the image holds the studio, Node.js, uv, a JupyterLab, and the system tools the setup scripts
# use.
#
#   docker buildx build --platform linux/amd64 -t REGISTRY/comfystudio:TAG .   (or ./build_server.sh)

# Node.js 24 (the active LTS) and uv, copied from their official images.
FROM node:24-bookworm-slim AS node
FROM ghcr.io/astral-sh/uv:0.8.22 AS uv

# Plain Ubuntu 24.04, with neither CUDA nor PyTorch: every tool makes its own Python environment with uv and
# installs the CUDA build of PyTorch it pins (those wheels bring their own CUDA libraries), while the NVIDIA
# driver and nvidia-smi come from the host through the NVIDIA container runtime. A CUDA or PyTorch base
# would add gigabytes that no environment uses, and the CUDA version it declares would keep the container
# off hosts with older drivers. Its Python 3.12 is the one AI-Toolkit asks for.
FROM ubuntu:24.04

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
ENV NVIDIA_VISIBLE_DEVICES=all \
    NVIDIA_DRIVER_CAPABILITIES=compute,utility \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    UV_LINK_MODE=copy \
    WORKSPACE_DIR=/workspace \
    HF_HOME=/workspace/.cache/huggingface

# What the setup scripts and the tools use: git, curl, process tools (procps, psmisc, iproute2, lsof), Python
# 3.12 with its headers and a C toolchain (Triton compiles its launchers, and some custom nodes build
# extensions), ffmpeg and the OpenGL/GLib libraries many custom nodes need, tini as PID 1, and sshd for
# RunPod's SSH access.
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      ca-certificates curl wget git git-lfs jq unzip zip rsync \
      procps psmisc iproute2 lsof tini \
      python3 python3-dev python3-venv build-essential \
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

# JupyterLab, so that an artist's Start works on a fresh pod; Install puts one on the volume
# ($WORKSPACE_DIR/.venvs/jupyterlab), which start_jupyter.sh prefers.
RUN uv venv --python /usr/bin/python3 /opt/jupyterlab \
 && uv pip install --no-cache --python /opt/jupyterlab/bin/python jupyterlab ipywidgets \
 && /opt/jupyterlab/bin/jupyter-lab --version

WORKDIR /app

# The package files first (with each npm workspace's package.json, where there is one), so that a change in
# the sources alone reuses the `npm ci` layer.
COPY package.json package-lock.json ./
COPY lora-tool/package.jso[n] lora-tool/
COPY packages/kit/package.jso[n] packages/kit/
RUN npm ci --no-audit --no-fund

# The production build, then only what runs: the LoRA-Tool is built here too, so none of its jobs needs the
# compiler.
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
