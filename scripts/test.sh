#!/usr/bin/env bash
# The project's test command: Swift unit tests (tiny in-process models) and integration tests
# (the real SmolLM2-135M and Gemma 3 270M, fetched into the cache first), then the clients (Python client, `cfsp`
# CLI, example notebook, Neovim plugin) against a real cfspd, then a short fuzz run of the readers
# of untrusted bytes (fuzz/README.md). Everything on a release build, since the numerical checks
# on the real model are far too slow in debug.
set -euo pipefail
cd "$(dirname "$0")/.."
CFSP_MODEL="${CFSP_MODEL:-$(scripts/fetch-model.sh)}"
CFSP_GEMMA_MODEL="${CFSP_GEMMA_MODEL:-$(scripts/fetch-gemma.sh)}"
export CFSP_MODEL CFSP_GEMMA_MODEL
swift build -c release
# Two runs: the integration suites (real models, synchronous and minutes long) would otherwise
# hold both of a 2-core machine's cooperative threads and starve the async daemon and transport
# tests past their time limits.
swift test -c release --skip Integration
swift test -c release --filter Integration
scripts/test-clients.sh
# 10 s per harness after a sanitized build of RPC, Core and the harnesses (fuzz/README.md
# gives the time it adds); where the toolchain has no libFuzzer it prints "fuzz: NOT RUN" and
# why, and goes on.
fuzz/run --seconds "${CFSP_FUZZ_SECONDS:-10}" --if-available
