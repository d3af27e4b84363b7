#!/usr/bin/env python3
"""Write the Hugging Face tokenizer.json that transformers builds from a GGUF file's tokenizer.

Usage: gguf_tokenizer_json.py MODEL.gguf OUTDIR

transformers converts the GGUF's `tokenizer.ggml.*` arrays (for Gemma 3: a SentencePiece-style
BPE with byte fallback) and `save_pretrained` writes OUTDIR/tokenizer.json and
tokenizer_config.json. The files are written to a temporary folder beside OUTDIR and renamed, so
a reader never sees half a file. Needs the `transformers` and `gguf` pip packages.
"""
import os
import shutil
import sys
import tempfile


def main() -> int:
    if len(sys.argv) != 3:
        print("usage: gguf_tokenizer_json.py MODEL.gguf OUTDIR", file=sys.stderr)
        return 2
    model, outdir = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    try:
        from transformers import AutoTokenizer
    except ImportError as error:
        print(f"missing Python package ({error}): pip install -r scripts/requirements-test.txt", file=sys.stderr)
        return 3
    tokenizer = AutoTokenizer.from_pretrained(os.path.dirname(model), gguf_file=os.path.basename(model))
    parent = os.path.dirname(outdir)
    os.makedirs(parent, exist_ok=True)
    staging = tempfile.mkdtemp(dir=parent, prefix=".staging-")
    try:
        tokenizer.save_pretrained(staging)
        if os.path.isdir(outdir):
            shutil.rmtree(outdir)
        os.rename(staging, outdir)
    finally:
        if os.path.isdir(staging):
            shutil.rmtree(staging)
    return 0


if __name__ == "__main__":
    sys.exit(main())
