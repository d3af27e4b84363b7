#!/usr/bin/env python3
"""Independent numpy reference of the LLaMA forward pass for GGUF models.

Why this exists: cfsp's Swift kernels need an oracle that shares none of their
code.  This script reads a GGUF file of architecture ``llama`` with the
``gguf`` pip package, dequantizes every tensor to float32 (or float64), and runs
the plain textbook forward pass in numpy:

    embedding -> 30 x [RMSNorm -> GQA causal attention with RoPE -> residual,
                       RMSNorm -> SwiGLU FFN -> residual] -> RMSNorm -> logits

Rotary layout.  llama.cpp's converter permutes the rows of Q and K so that each
head's rotary pairs are adjacent (2i, 2i+1) instead of HF's rotate-half pairs
(i, i + head_dim/2).  The default mode (``--rope interleaved``) rotates the
GGUF weights' outputs in that interleaved layout directly.  ``--rope hf``
un-permutes the Q/K rows back to HF order and uses rotate-half instead; the two
must agree to rounding, which ``selfcheck`` verifies.

Commands (MODEL is a .gguf path; options go after the command):
    logits IDS...                   argmax + first 8 logits of the last position
    logits-file --ids-file F        same, token ids read from a file
    throughput --tokens N           tokens/s of one N-token window forward
    ppl --ids-file F --window S --windows W
                                    perplexity over W non-overlapping windows
    selfcheck IDS...                interleaved vs HF rotate-half agreement

Threads: numpy's OpenBLAS reads OPENBLAS_NUM_THREADS at import; set it in the
environment (the benchmarks use 2).  All results are printed as one JSON line.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from dataclasses import dataclass

import numpy as np


class ForwardError(Exception):
    """A user-facing failure (bad file, bad ids, bad options) with an actionable message."""


# --------------------------------------------------------------------------- model loading


@dataclass(frozen=True)
class LlamaConfig:
    """Hyper-parameters read from the GGUF ``llama.*`` metadata keys."""

    n_layers: int
    hidden: int
    ffn: int
    n_heads: int
    n_kv_heads: int
    rms_eps: float
    rope_base: float
    vocab: int

    @property
    def head_dim(self) -> int:
        return self.hidden // self.n_heads


@dataclass
class Block:
    """One transformer block's weights, matrices in PyTorch order [out, in]."""

    attn_norm: np.ndarray
    wq: np.ndarray
    wk: np.ndarray
    wv: np.ndarray
    wo: np.ndarray
    ffn_norm: np.ndarray
    w_gate: np.ndarray
    w_up: np.ndarray
    w_down: np.ndarray


@dataclass
class LlamaWeights:
    """All dequantized weights plus config; ``rope`` names the Q/K row layout."""

    config: LlamaConfig
    token_embd: np.ndarray  # [vocab, hidden]
    blocks: list[Block]
    output_norm: np.ndarray
    output: np.ndarray  # [vocab, hidden]; the embedding itself when tied
    rope: str  # "interleaved" (GGUF rows as stored) or "hf" (rows un-permuted)


def _field_value(reader, key: str):
    """Return the scalar value of a GGUF metadata key, or None when absent."""
    field = reader.fields.get(key)
    if field is None:
        return None
    return field.contents()


def read_config(reader) -> LlamaConfig:
    """Build the config from metadata; fails clearly on a non-llama file."""
    arch = _field_value(reader, "general.architecture")
    if arch != "llama":
        raise ForwardError(f"architecture is {arch!r}; this reference only supports 'llama'")

    def required(name: str):
        value = _field_value(reader, f"llama.{name}")
        if value is None:
            raise ForwardError(f"GGUF metadata key 'llama.{name}' is missing")
        return value

    n_heads = int(required("attention.head_count"))
    n_kv = _field_value(reader, "llama.attention.head_count_kv")
    base = _field_value(reader, "llama.rope.freq_base")
    embd = next((t for t in reader.tensors if t.name == "token_embd.weight"), None)
    if embd is None:
        raise ForwardError("tensor 'token_embd.weight' is missing")
    config = LlamaConfig(
        n_layers=int(required("block_count")),
        hidden=int(required("embedding_length")),
        ffn=int(required("feed_forward_length")),
        n_heads=n_heads,
        n_kv_heads=int(n_kv) if n_kv is not None else n_heads,
        rms_eps=float(required("attention.layer_norm_rms_epsilon")),
        rope_base=float(base) if base is not None else 10000.0,
        vocab=int(embd.shape[-1]),  # GGUF shapes are [in, out]
    )
    if config.hidden % config.n_heads or config.n_heads % config.n_kv_heads:
        raise ForwardError(
            f"inconsistent heads: hidden {config.hidden}, heads {config.n_heads}, "
            f"kv heads {config.n_kv_heads}")
    if config.head_dim % 2:
        raise ForwardError(f"head dim {config.head_dim} is odd; rotary needs pairs")
    return config


def dequantize_tensor(tensor, dtype) -> np.ndarray:
    """Dequantize one GGUF tensor to a dense array in PyTorch order ([out, in] for matrices).

    GGUF lists dimensions innermost-first, so its shape [in, out] is numpy's (out, in).
    """
    from gguf.quants import dequantize

    values = dequantize(tensor.data, tensor.tensor_type)
    torch_shape = tuple(int(d) for d in reversed(tensor.shape))
    return np.ascontiguousarray(values.reshape(torch_shape), dtype=dtype)


def unpermute_rows(w: np.ndarray, n_heads: int) -> np.ndarray:
    """Undo llama.cpp's Q/K row permutation: GGUF row 2i (2i+1) of a head is HF row i (i + d/2)."""
    out, cols = w.shape
    head_dim = out // n_heads
    return w.reshape(n_heads, head_dim // 2, 2, cols).swapaxes(1, 2).reshape(out, cols)


def load_model(path: str, dtype=np.float32, rope: str = "interleaved") -> LlamaWeights:
    """Read and dequantize a llama GGUF file; ``rope='hf'`` un-permutes Q/K rows to HF order."""
    if not os.path.isfile(path):
        raise ForwardError(f"model file not found: {path}")
    try:
        from gguf import GGUFReader

        reader = GGUFReader(path)
    except ForwardError:
        raise
    except Exception as exc:  # the gguf package raises plain ValueError etc.
        raise ForwardError(f"cannot read {path} as GGUF: {exc}") from exc
    config = read_config(reader)
    tensors = {t.name: t for t in reader.tensors}

    def get(name: str, shape: tuple[int, ...]) -> np.ndarray:
        tensor = tensors.get(name)
        if tensor is None:
            raise ForwardError(f"tensor '{name}' is missing")
        array = dequantize_tensor(tensor, dtype)
        if array.shape != shape:
            raise ForwardError(f"tensor '{name}' has shape {array.shape}, expected {shape}")
        return array

    c = config
    kv_dim = c.n_kv_heads * c.head_dim
    blocks = []
    for i in range(c.n_layers):
        p = f"blk.{i}."
        wq = get(p + "attn_q.weight", (c.hidden, c.hidden))
        wk = get(p + "attn_k.weight", (kv_dim, c.hidden))
        if rope == "hf":
            wq = unpermute_rows(wq, c.n_heads)
            wk = unpermute_rows(wk, c.n_kv_heads)
        blocks.append(Block(
            attn_norm=get(p + "attn_norm.weight", (c.hidden,)),
            wq=wq,
            wk=wk,
            wv=get(p + "attn_v.weight", (kv_dim, c.hidden)),
            wo=get(p + "attn_output.weight", (c.hidden, c.hidden)),
            ffn_norm=get(p + "ffn_norm.weight", (c.hidden,)),
            w_gate=get(p + "ffn_gate.weight", (c.ffn, c.hidden)),
            w_up=get(p + "ffn_up.weight", (c.ffn, c.hidden)),
            w_down=get(p + "ffn_down.weight", (c.hidden, c.ffn)),
        ))
    token_embd = get("token_embd.weight", (c.vocab, c.hidden))
    output = get("output.weight", (c.vocab, c.hidden)) if "output.weight" in tensors else token_embd
    return LlamaWeights(
        config=config,
        token_embd=token_embd,
        blocks=blocks,
        output_norm=get("output_norm.weight", (c.hidden,)),
        output=output,
        rope=rope,
    )


# --------------------------------------------------------------------------- forward pass


def rms_norm(x: np.ndarray, weight: np.ndarray, eps: float) -> np.ndarray:
    """x / sqrt(mean(x^2) + eps) * weight, per row."""
    mean_square = np.mean(x * x, axis=-1, keepdims=True)
    return x * (1.0 / np.sqrt(mean_square + eps)).astype(x.dtype) * weight


def rotary_angles(n_tokens: int, head_dim: int, base: float, dtype):
    """cos/sin of position p times frequency base^(-2i/d), shape [tokens, d/2].

    Angles are formed in float64 and rounded once, so both layouts see identical values.
    """
    inv_freq = base ** (-np.arange(0, head_dim, 2, dtype=np.float64) / head_dim)
    angles = np.arange(n_tokens, dtype=np.float64)[:, None] * inv_freq[None, :]
    return np.cos(angles).astype(dtype), np.sin(angles).astype(dtype)


def rope_interleaved(x: np.ndarray, cos: np.ndarray, sin: np.ndarray) -> np.ndarray:
    """Rotate adjacent pairs (2i, 2i+1) of each head; x is [heads, tokens, head_dim]."""
    even, odd = x[..., 0::2], x[..., 1::2]
    out = np.empty_like(x)
    out[..., 0::2] = even * cos - odd * sin
    out[..., 1::2] = even * sin + odd * cos
    return out


def rope_rotate_half(x: np.ndarray, cos: np.ndarray, sin: np.ndarray) -> np.ndarray:
    """HF rotate-half: rotate pairs (i, i + d/2) of each head; x is [heads, tokens, head_dim]."""
    half = x.shape[-1] // 2
    first, second = x[..., :half], x[..., half:]
    return np.concatenate([first * cos - second * sin, first * sin + second * cos], axis=-1)


def causal_mask(n_tokens: int, dtype) -> np.ndarray:
    """Additive mask [tokens, tokens]: 0 where key <= query, -inf for future keys."""
    future = np.triu(np.ones((n_tokens, n_tokens), dtype=bool), k=1)
    return np.where(future, -np.inf, 0.0).astype(dtype)


def softmax_rows_inplace(scores: np.ndarray) -> np.ndarray:
    """Numerically stable softmax over the last axis, overwriting scores (they are large)."""
    scores -= scores.max(axis=-1, keepdims=True)
    np.exp(scores, out=scores)
    scores /= scores.sum(axis=-1, keepdims=True)
    return scores


def attention(x: np.ndarray, block: Block, config: LlamaConfig, rope: str,
              cos: np.ndarray, sin: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Grouped-query causal self-attention on normalized input x [tokens, hidden]."""
    n, d = x.shape[0], config.head_dim
    q = (x @ block.wq.T).reshape(n, config.n_heads, d).transpose(1, 0, 2)
    k = (x @ block.wk.T).reshape(n, config.n_kv_heads, d).transpose(1, 0, 2)
    v = (x @ block.wv.T).reshape(n, config.n_kv_heads, d).transpose(1, 0, 2)
    rotate = rope_interleaved if rope == "interleaved" else rope_rotate_half
    q, k = rotate(q, cos, sin), rotate(k, cos, sin)

    group = config.n_heads // config.n_kv_heads  # query heads sharing one KV head
    k = np.repeat(k, group, axis=0)
    v = np.repeat(v, group, axis=0)
    scores = q @ k.transpose(0, 2, 1)  # [heads, tokens, tokens]
    scores *= x.dtype.type(1.0 / math.sqrt(d))
    scores += mask
    context = softmax_rows_inplace(scores) @ v  # [heads, tokens, d]
    return context.transpose(1, 0, 2).reshape(n, config.hidden) @ block.wo.T


def silu(x: np.ndarray) -> np.ndarray:
    """x * sigmoid(x), written to avoid overflow warnings for large negative x."""
    return x / (1.0 + np.exp(-np.clip(x, -80.0, 80.0)))


def feed_forward(x: np.ndarray, block: Block) -> np.ndarray:
    """SwiGLU: down(silu(gate x) * up x)."""
    return (silu(x @ block.w_gate.T) * (x @ block.w_up.T)) @ block.w_down.T


def forward(model: LlamaWeights, ids: np.ndarray, last_only: bool = False) -> np.ndarray:
    """Logits [tokens, vocab] for one window of token ids (or [1, vocab] when last_only)."""
    c = model.config
    dtype = model.token_embd.dtype
    h = model.token_embd[ids]
    cos, sin = rotary_angles(len(ids), c.head_dim, c.rope_base, dtype)
    mask = causal_mask(len(ids), dtype)
    for block in model.blocks:
        normed = rms_norm(h, block.attn_norm, c.rms_eps)
        h = h + attention(normed, block, c, model.rope, cos, sin, mask)
        h = h + feed_forward(rms_norm(h, block.ffn_norm, c.rms_eps), block)
    if last_only:
        h = h[-1:]
    return rms_norm(h, model.output_norm, c.rms_eps) @ model.output.T


def window_nll(logits: np.ndarray, ids: np.ndarray) -> float:
    """Mean negative log-likelihood of ids[1:] given logits[:-1] (float64 accumulation)."""
    predictive = logits[:-1].astype(np.float64)
    targets = ids[1:]
    top = predictive.max(axis=-1)
    log_norm = top + np.log(np.exp(predictive - top[:, None]).sum(axis=-1))
    return float(np.mean(log_norm - predictive[np.arange(len(targets)), targets]))


# --------------------------------------------------------------------------- command line


def check_ids(ids: list[int], vocab: int) -> np.ndarray:
    """Validate token ids against the vocabulary and return them as an int64 array."""
    if not ids:
        raise ForwardError("no token ids given")
    bad = [t for t in ids if not 0 <= t < vocab]
    if bad:
        raise ForwardError(f"token ids out of range [0, {vocab}): {bad[:5]}")
    return np.asarray(ids, dtype=np.int64)


def read_ids_file(path: str) -> list[int]:
    """Token ids from a JSON list or whitespace/comma separated integers."""
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read().strip()
    except OSError as exc:
        raise ForwardError(f"cannot read ids file {path}: {exc}") from exc
    try:
        if text.startswith("["):
            values = json.loads(text)
            if not isinstance(values, list):
                raise ValueError("not a list")
            return [int(v) for v in values]
        return [int(v) for v in text.replace(",", " ").split()]
    except (ValueError, TypeError) as exc:
        raise ForwardError(f"ids file {path} is not a list of integers: {exc}") from exc


def last_logits_report(model: LlamaWeights, ids: np.ndarray) -> dict:
    logits = forward(model, ids, last_only=True)[0]
    return {
        "tokens": len(ids),
        "argmax": int(np.argmax(logits)),
        "first8": [round(float(v), 6) for v in logits[:8]],
        "rope": model.rope,
        "dtype": str(logits.dtype),
    }


def cmd_logits(args) -> dict:
    model = load_model(args.model, args.dtype, args.rope)
    return last_logits_report(model, check_ids(args.ids, model.config.vocab))


def cmd_logits_file(args) -> dict:
    model = load_model(args.model, args.dtype, args.rope)
    ids = check_ids(read_ids_file(args.ids_file), model.config.vocab)
    report = last_logits_report(model, ids)
    if args.out:
        np.save(args.out, forward(model, ids))
        report["saved"] = args.out
    return report


def cmd_throughput(args) -> dict:
    if args.tokens < 1:
        raise ForwardError(f"--tokens must be positive, got {args.tokens}")
    model = load_model(args.model, args.dtype, args.rope)
    ids = np.arange(args.tokens, dtype=np.int64) * 7919 % model.config.vocab
    forward(model, ids)  # warm-up
    times = []
    for _ in range(args.repeats):
        start = time.perf_counter()
        forward(model, ids)
        times.append(time.perf_counter() - start)
    best = min(times)
    return {
        "tokens": args.tokens,
        "best_seconds": round(best, 4),
        "tokens_per_second": round(args.tokens / best, 2),
        "all_seconds": [round(t, 4) for t in times],
        "openblas_num_threads": os.environ.get("OPENBLAS_NUM_THREADS"),
        "dtype": np.dtype(args.dtype).name,
    }


def cmd_ppl(args) -> dict:
    if args.window < 2 or args.windows < 1:
        raise ForwardError(f"need --window >= 2 and --windows >= 1, got {args.window}, {args.windows}")
    model = load_model(args.model, args.dtype, args.rope)
    ids = check_ids(read_ids_file(args.ids_file), model.config.vocab)
    available = len(ids) // args.window
    if available == 0:
        raise ForwardError(f"{len(ids)} ids are fewer than one window of {args.window}")
    count = min(args.windows, available)
    nlls = []
    for w in range(count):
        window = ids[w * args.window:(w + 1) * args.window]
        nlls.append(window_nll(forward(model, window), window))
    return {
        "ppl": round(math.exp(float(np.mean(nlls))), 4),
        "windows": count,
        "windows_requested": args.windows,
        "window": args.window,
        "window_ppl": [round(math.exp(v), 4) for v in nlls],
        "dtype": np.dtype(args.dtype).name,
    }


def cmd_selfcheck(args) -> dict:
    ids_list = args.ids
    interleaved = load_model(args.model, args.dtype, "interleaved")
    ids = check_ids(ids_list, interleaved.config.vocab)
    a = forward(interleaved, ids)
    del interleaved
    b = forward(load_model(args.model, args.dtype, "hf"), ids)
    diff = float(np.max(np.abs(a - b)))
    return {
        "tokens": len(ids),
        "max_abs_diff": diff,
        "argmax_interleaved": int(np.argmax(a[-1])),
        "argmax_hf": int(np.argmax(b[-1])),
        "agree": bool(diff < 1e-3 and np.argmax(a[-1]) == np.argmax(b[-1])),
    }


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("model", help="path to a llama GGUF file")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--float64", dest="dtype", action="store_const", const=np.float64,
                        default=np.float32, help="compute in float64 instead of float32")
    common.add_argument("--rope", choices=["interleaved", "hf"], default="interleaved",
                        help="rotary layout: GGUF interleaved pairs, or un-permuted HF rotate-half")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("logits", parents=[common], help="last-position argmax and first 8 logits")
    p.add_argument("ids", type=int, nargs="+")
    p.set_defaults(run=cmd_logits)

    p = sub.add_parser("logits-file", parents=[common], help="like logits, ids from a file")
    p.add_argument("--ids-file", required=True)
    p.add_argument("--out", help="also save all logits [tokens, vocab] to this .npy file")
    p.set_defaults(run=cmd_logits_file)

    p = sub.add_parser("throughput", parents=[common], help="tokens/s of one window forward")
    p.add_argument("--tokens", type=int, default=1024)
    p.add_argument("--repeats", type=int, default=3, help="timed runs; the best is reported")
    p.set_defaults(run=cmd_throughput)

    p = sub.add_parser("ppl", parents=[common], help="perplexity over non-overlapping windows")
    p.add_argument("--ids-file", required=True)
    p.add_argument("--window", type=int, default=1024)
    p.add_argument("--windows", type=int, default=8)
    p.set_defaults(run=cmd_ppl)

    p = sub.add_parser("selfcheck", parents=[common],
                       help="interleaved rotary on GGUF rows vs rotate-half on HF rows")
    p.add_argument("ids", type=int, nargs="+")
    p.set_defaults(run=cmd_selfcheck)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        result = args.run(args)
    except ForwardError as exc:
        print(f"numpy_forward: error: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
