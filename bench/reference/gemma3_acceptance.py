#!/usr/bin/env python3
"""Reference figures for Gemma 3 270M (Q4_K_M GGUF), computed by transformers, for the
acceptance checks of cfsp's gemma3 support.

  bench/reference/gemma3_acceptance.py [MODEL.gguf] [--data TEST.jsonl] [--windows 4] [--threads 2]

MODEL defaults to the file scripts/fetch-gemma.sh puts in the cache. The weights are read by
transformers' own GGUF loader (AutoConfig with gguf_file for the metadata, load_gguf_checkpoint
for the tensors, dequantized to float32; `from_pretrained(..., gguf_file=)` would do the same
but insists on the `accelerate` package), and the tokenizer by AutoTokenizer with gguf_file.
The model runs in float32 with eager attention.

Printed:
  - the token ids of four strings, without special tokens;
  - the argmax and first four logits after "The capital of France is" (its 5 ids, no BOS);
  - the WikiText-2 test stream: documents (one JSON object a line; lines of only spaces, tabs
    or CRs skipped, empty texts kept, as Core's TextCorpus.jsonlRecords reads them) joined
    with "\\n\\n", tokenized without special tokens: its length and first 8 ids;
  - perplexity over the first N windows of 1024 tokens, without BOS and with one BOS (id 2)
    before the whole stream. The windowing is Core's PerplexityEvaluator: non-overlapping
    windows tokens[w*1024:(w+1)*1024], each scored on its own (fresh context, positions
    0..1023), tokens 1..1023 of each predicted from the positions before them; perplexity =
    exp(mean NLL over all N*1023 predicted tokens). With BOS only the first window starts
    with it; every later window is shifted by one token.
It takes several minutes on 2 cores (the tokenizer build alone takes ~40 s).
"""
import argparse
import json
import math
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TQDM_DISABLE", "1")

try:
    import torch
    import transformers
    from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer
    from transformers.modeling_gguf_pytorch_utils import load_gguf_checkpoint
except ImportError as error:
    print(f"missing Python package ({error}): pip install -r scripts/requirements-test.txt", file=sys.stderr)
    sys.exit(3)

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_MODEL = Path(os.environ.get("CFSP_CACHE", Path.home() / ".cache" / "cfsp")) / "models" / "gemma-3-270m-q4_k_m.gguf"
STRINGS = ["The capital of France is", "Hello world, this is a test.",
           "In 1984, 12345 people paid $3.50 each.", "naïve café — ünïcödé 日本語 🙂"]
BOS = 2
WINDOW = 1024


def default_data():
    # shared/ sits beside the repository; a git worktree is one folder deeper.
    for up in (ROOT.parent, ROOT.parent.parent):
        candidate = up / "shared" / "data" / "wikitext-2-raw-v1" / "test.jsonl"
        if candidate.exists():
            return candidate
    return ROOT.parent / "shared" / "data" / "wikitext-2-raw-v1" / "test.jsonl"


def jsonl_records(path):
    """Core's TextCorpus.jsonlRecords: every line's "text", skipping whitespace-only lines."""
    records = []
    with open(path, "rb") as f:
        for line in f.read().split(b"\n"):
            if all(c in b" \t\r" for c in line):
                continue
            records.append(json.loads(line)["text"])
    return records


def load_model(path):
    folder, name = str(path.parent), path.name
    config = AutoConfig.from_pretrained(folder, gguf_file=name)
    model = AutoModelForCausalLM.from_config(config, dtype=torch.float32, attn_implementation="eager").eval()
    tensors = load_gguf_checkpoint(str(path), return_tensors=True, model_to_load=model)["tensors"]
    missing, unexpected = model.load_state_dict(tensors, strict=False)
    missing = [k for k in missing if not (config.tie_word_embeddings and k == "lm_head.weight")]
    if missing or unexpected:
        raise SystemExit(f"GGUF tensors did not map onto {type(model).__name__}: missing {missing}, unexpected {unexpected}")
    return model


def window_nll(model, window):
    """Sum of next-token NLL over tokens 1..len-1 of one window, and their count."""
    ids = torch.tensor([window], dtype=torch.long)
    with torch.no_grad():
        hidden = model.model(input_ids=ids, use_cache=False).last_hidden_state[0]
        total = 0.0
        for start in range(0, len(window) - 1, 128):  # the LM head in chunks: 1024 x 262144 f32 is 1 GiB
            stop = min(start + 128, len(window) - 1)
            logits = model.lm_head(hidden[start:stop]).to(torch.float64)
            targets = ids[0, start + 1:stop + 1]
            total += float((torch.logsumexp(logits, dim=-1) - logits[torch.arange(stop - start), targets]).sum())
    return total, len(window) - 1


def perplexity(model, stream, windows):
    total, count = 0.0, 0
    for w in range(windows):
        t = time.time()
        nll, n = window_nll(model, stream[w * WINDOW:(w + 1) * WINDOW])
        total, count = total + nll, count + n
        print(f"    window {w}: mean NLL {nll / n:.5f} ({time.time() - t:.1f} s)", file=sys.stderr, flush=True)
    return math.exp(total / count)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("model", nargs="?", type=Path, default=DEFAULT_MODEL)
    parser.add_argument("--data", type=Path, default=default_data())
    parser.add_argument("--windows", type=int, default=4)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    if not args.model.exists():
        raise SystemExit(f"{args.model} not found: run scripts/fetch-gemma.sh")
    torch.set_num_threads(args.threads)
    transformers.logging.set_verbosity_error()
    print(f"model {args.model}\ntransformers {transformers.__version__}, torch {torch.__version__}, "
          f"{args.threads} threads, float32, eager attention")

    start = time.time()
    tokenizer = AutoTokenizer.from_pretrained(str(args.model.parent), gguf_file=args.model.name)
    model = load_model(args.model)
    print(f"loaded in {time.time() - start:.0f} s: {type(model).__name__}, {model.config.num_hidden_layers} layers, "
          f"head_dim {model.config.head_dim}, query_pre_attn_scalar {model.config.query_pre_attn_scalar}, "
          f"sliding_window {model.config.sliding_window}, rope {model.config.rope_parameters}")

    for text in STRINGS:
        print(f"ids {text!r}: {tokenizer.encode(text, add_special_tokens=False)}")

    prompt = tokenizer.encode(STRINGS[0], add_special_tokens=False)
    with torch.no_grad():
        for label, ids in [("no BOS", prompt), ("with BOS", [BOS] + prompt)]:
            last = model(torch.tensor([ids]), use_cache=False).logits[0, -1]
            first = ", ".join(f"{v:.4f}" for v in last[:4].tolist())
            print(f"next token after {STRINGS[0]!r} ({label}, ids {ids}): argmax {int(last.argmax())} "
                  f"({tokenizer.decode([int(last.argmax())])!r}), first four logits [{first}]")

    text = "\n\n".join(jsonl_records(args.data))
    start = time.time()
    stream = tokenizer.encode(text, add_special_tokens=False)
    print(f"WikiText-2 test ({args.data}): {len(stream)} tokens, first 8 {stream[:8]} "
          f"(tokenized in {time.time() - start:.0f} s)")

    for label, tokens in [("without BOS", stream), (f"with one BOS ({BOS}) before the stream", [BOS] + stream)]:
        start = time.time()
        print(f"perplexity {label}, first {args.windows} windows of {WINDOW}:", file=sys.stderr, flush=True)
        ppl = perplexity(model, tokens, args.windows)
        print(f"perplexity {label}: {ppl:.4f} ({args.windows} windows of {WINDOW}, "
              f"{args.windows * (WINDOW - 1)} predicted tokens, {time.time() - start:.0f} s)", flush=True)


if __name__ == "__main__":
    main()
