#!/usr/bin/env python3
"""Checks that llama.cpp runs cfsp's GGUF exports as cfsp does: the same perplexity on the same
WikiText-2 test windows, and the same tokens from both tokenizers.

    python3 bench/deploy/check_llamacpp.py MODEL.gguf [MODEL.gguf ...] [--windows 4] [--window 256]

Needs llama-cpp-python (`pip install llama-cpp-python` builds llama.cpp from source, about 25
minutes on 2 cores: once per machine, never in CI) and a release build of cfspd
(`swift build -c release`). For each file it prints the architecture, the length of llama.cpp's token
stream, cfsp's and llama.cpp's perplexity over the first N non-overlapping windows, and their
ratio (equal perplexities on real models also mean the two tokenizers agreed). The BOS convention is cfsp's: one BOS before the stream
when the file's tokenizer says `add_bos_token`.
"""
import argparse
import json
import math
import os
import subprocess
import sys

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def wikitext(split="test"):
    for base in (os.path.join(ROOT, "..", "shared", "data"), os.environ.get("CFSP_DATA", "")):
        path = os.path.join(base, "wikitext-2-raw-v1", f"{split}.jsonl")
        if os.path.exists(path):
            with open(path, encoding="utf-8") as f:
                return path, "\n\n".join(json.loads(line)["text"] for line in f if line.strip())
    sys.exit("WikiText-2 not found: put ../shared/data beside the checkout or set CFSP_DATA")


def cfsp_perplexity(model, text_path, windows, window):
    out = subprocess.run(
        [os.path.join(ROOT, ".build", "release", "cfspd"), "perplexity", model, "--path", text_path,
         "--max-windows", str(windows), "--window-size", str(window), "--json"],
        check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def llamacpp_perplexity(model, text, windows, window):
    from llama_cpp import Llama

    llm = Llama(model_path=model, n_ctx=window, logits_all=True, n_threads=2, verbose=False)
    add_bos = llm.metadata.get("tokenizer.ggml.add_bos_token", "false") == "true"
    tokens = llm.tokenize(text.encode("utf-8"), add_bos=False, special=False)
    if add_bos:
        tokens = [llm.token_bos()] + tokens
    nll, count = 0.0, 0
    for w in range(windows):
        chunk = tokens[w * window:(w + 1) * window]
        llm.reset()
        llm.eval(chunk)
        logits = np.array(llm.scores[:len(chunk)], dtype=np.float64)
        for t in range(len(chunk) - 1):
            row = logits[t]
            m = row.max()
            nll += m + math.log(np.exp(row - m).sum()) - row[chunk[t + 1]]
            count += 1
    arch = llm.metadata.get("general.architecture")
    return arch, tokens, math.exp(nll / count)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("models", nargs="+")
    parser.add_argument("--windows", type=int, default=4)
    parser.add_argument("--window", type=int, default=256)
    args = parser.parse_args()
    text_path, text = wikitext()
    print(f"{'file':40} {'arch':8} {'tokens':>8} {'ppl cfsp':>14} {'llama.cpp':>14} {'ratio':>7}")
    for model in args.models:
        ours = cfsp_perplexity(model, text_path, args.windows, args.window)
        arch, tokens, theirs = llamacpp_perplexity(model, text, args.windows, args.window)
        print(f"{os.path.relpath(model)[-40:]:40} {arch:8} {len(tokens):8} "
              f"{ours['perplexity']:14.6g} {theirs:14.6g} {theirs / ours['perplexity']:7.4f}")


if __name__ == "__main__":
    main()
