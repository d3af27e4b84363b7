#!/usr/bin/env python3
"""Dump the tokenizer metadata of a GGUF file as JSON, for the tokenizer integration tests.

Usage: dump_gguf_tokenizer.py MODEL.gguf OUTPUT.json

The JSON object has the keys the Swift tokenizer's array initialiser takes: model, pre, tokens,
merges, token_types, bos_token_id, eos_token_id, unknown_token_id, padding_token_id (ids are null
when the GGUF lacks them). Needs the `gguf` pip package.
"""
import json
import sys


def main() -> int:
    if len(sys.argv) != 3:
        print("usage: dump_gguf_tokenizer.py MODEL.gguf OUTPUT.json", file=sys.stderr)
        return 2
    try:
        import gguf
    except ImportError:
        print("the `gguf` Python package is missing: pip install gguf", file=sys.stderr)
        return 3
    reader = gguf.GGUFReader(sys.argv[1])

    def value(key, default=None):
        field = reader.fields.get(key)
        return default if field is None else field.contents()

    dump = {
        "model": value("tokenizer.ggml.model"),
        "pre": value("tokenizer.ggml.pre", "default"),
        "tokens": value("tokenizer.ggml.tokens"),
        "merges": value("tokenizer.ggml.merges", []),
        "token_types": value("tokenizer.ggml.token_type"),
        "bos_token_id": value("tokenizer.ggml.bos_token_id"),
        "eos_token_id": value("tokenizer.ggml.eos_token_id"),
        "unknown_token_id": value("tokenizer.ggml.unknown_token_id"),
        "padding_token_id": value("tokenizer.ggml.padding_token_id"),
    }
    if dump["tokens"] is None:
        print(f"{sys.argv[1]} has no tokenizer.ggml.tokens array", file=sys.stderr)
        return 4
    with open(sys.argv[2], "w", encoding="utf-8") as out:
        json.dump(dump, out, ensure_ascii=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
