#!/usr/bin/env bash
# Installs the system packages the build needs (libuv1-dev, pkg-config) when they are missing.
set -euo pipefail
if pkg-config --exists libuv 2>/dev/null; then exit 0; fi
echo "installing libuv1-dev and pkg-config (apt-get)..." >&2
sudo=""
if [ "$(id -u)" != 0 ]; then sudo="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq libuv1-dev pkg-config >/dev/null
