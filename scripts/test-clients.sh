#!/usr/bin/env bash
# Tests of the clients against a real cfspd on the tiny test model: the Python client, the `cfsp`
# shell CLI and the example notebook (pytest, clients/python/tests), then the Neovim plugin
# headless. Uses the release build (scripts/test.sh builds it first; override with $CFSPD and
# $CFSP_CLI). Installs nothing: needs the packages of scripts/requirements-test.txt and `nvim`.
set -euo pipefail
cd "$(dirname "$0")/.."
export CFSPD="${CFSPD:-$PWD/.build/release/cfspd}"
export CFSP_CLI="${CFSP_CLI:-$PWD/.build/release/cfsp}"
for binary in "$CFSPD" "$CFSP_CLI"; do
  if [ ! -x "$binary" ]; then
    echo "test-clients: $binary is missing; run 'swift build -c release' first" >&2
    exit 1
  fi
done
if ! command -v nvim >/dev/null 2>&1; then
  echo "test-clients: nvim is missing; install Debian's neovim package (apt-get install neovim)" >&2
  exit 1
fi

python3 -m pytest -q clients/python/tests "$@"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$CFSPD" make-test-model --output "$work/tiny.gguf" >/dev/null
python3 -c "
import random, sys
rng = random.Random(7)
words = 'the quick brown fox jumps over a lazy dog while seven wizards hex bold jams'.split()
for path, count in ((sys.argv[1], 2000), (sys.argv[2], 200000)):
    open(path, 'w').write(' '.join(rng.choice(words) for _ in range(count)))
" "$work/text.txt" "$work/long.txt"
CFSP_TEST_MODEL="$work/tiny.gguf" CFSP_TEST_TEXT="$work/text.txt" CFSP_TEST_LONG_TEXT="$work/long.txt" \
  timeout 300 nvim --headless -u NONE -c "luafile clients/nvim/test/run.lua" >"$work/nvim.log" 2>&1 \
  || { echo "test-clients: the Neovim plugin test failed:" >&2; cat "$work/nvim.log" >&2; exit 1; }
grep 'cfsp.nvim test:' "$work/nvim.log"
