#!/usr/bin/env python3
"""Prefill and decode speed in llama.cpp of cfsp's dense and pruned exports, by width alignment.

    python3 bench/deploy/speed.py [--aligns 1,32,64,128,256] [--types f32,q8_0,q4_k_m]
                                  [--sparsity 0.3] [--rounds 3] [--markdown FILE]

With cfspd (this checkout's release build) it loads SmolLM2-135M-Instruct (scripts/fetch-model.sh),
exports the dense model in each --types, calibrates once (WikiText-2 validation, --calibration-windows
windows of --calibration-window tokens, seed 0), prunes the FFNs at --sparsity with each alignment of
--aligns (the kept width of every block rounded to a multiple of it), measures each pruned model's
perplexity in cfsp (the first --eval-windows windows of 512 tokens of WikiText-2 test) and exports it
in each --types.

Then llama.cpp (llama-cpp-python, built on this machine; never in CI) runs every file the same way:
prefill = one --prompt-tokens-token prompt (the start of WikiText-2 test) in one batch; decode =
--decode-steps further tokens of the same text one at a time through the KV cache (the cost of a
generated token: which token it is does not change the work). Two settings:

- 1 thread, timed with the calling thread's CPU clock (ggml computes on the calling thread when
  n_threads is 1), so time spent descheduled by other processes does not count: kernel efficiency,
  robust to a busy machine;
- 2 threads, wall clock: what a user sees, but only meaningful on an idle machine.

Each figure is the best of --rounds rounds; within a round every file is measured once, in turn, so
bursts of load hit all files alike. The last columns give each file's speed relative to the dense
file of the same type. Which alignment is cfsp's default is decided from this table (README, "Where
the pruned model runs").
"""
import argparse
import importlib.metadata
import os
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "clients", "python"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import llama_cpp  # noqa: E402
from cfsp import Client  # noqa: E402
from check_llamacpp import wikitext  # noqa: E402
from machine import cpu_name, emit, load_average  # noqa: E402






def llamacpp_speed(path, tokens, prompt_tokens, decode_steps, threads):
    """(prefill tokens/s, decode tokens/s) of one file: 1 thread on the thread CPU clock, more on the wall clock."""
    clock = time.thread_time if threads == 1 else time.perf_counter
    llm = llama_cpp.Llama(model_path=path, n_ctx=prompt_tokens + decode_steps + 8, n_batch=prompt_tokens,
                          n_ubatch=prompt_tokens, n_threads=threads, n_threads_batch=threads, verbose=False)
    try:
        llm.eval(tokens[:8])  # warm-up: first-touch of the weights and the compute buffers
        llm.reset()
        start = clock()
        llm.eval(tokens[:prompt_tokens])
        prefill = prompt_tokens / (clock() - start)
        start = clock()
        for token in tokens[prompt_tokens:prompt_tokens + decode_steps]:
            llm.eval([token])
        decode = decode_steps / (clock() - start)
        return prefill, decode
    finally:
        llm.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--aligns", default="1,32,64,128,256")
    parser.add_argument("--types", default="f32,q8_0,q4_k_m")
    parser.add_argument("--sparsity", type=float, default=0.3)
    parser.add_argument("--calibration-windows", type=int, default=64)
    parser.add_argument("--calibration-window", type=int, default=512)
    parser.add_argument("--eval-windows", type=int, default=16)
    parser.add_argument("--prompt-tokens", type=int, default=512)
    parser.add_argument("--decode-steps", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", default="1,2", help="thread counts to measure (1 = thread CPU clock)")
    parser.add_argument("--out", default="/tmp/cfsp-deploy-speed")
    parser.add_argument("--markdown", help="also write the table to this file")
    args = parser.parse_args()
    aligns = [int(a) for a in args.aligns.split(",")]
    types = args.types.split(",")
    thread_counts = [int(t) for t in args.threads.split(",")]
    os.makedirs(args.out, exist_ok=True)
    model = subprocess.run([os.path.join(ROOT, "scripts", "fetch-model.sh")], check=True,
                           capture_output=True, text=True).stdout.strip()
    test_path, test_text = wikitext("test")
    validation = os.path.join(os.path.dirname(test_path), "validation.jsonl")
    cfspd = os.path.join(ROOT, ".build", "release", "cfspd")
    started = time.time()

    # rows: (label, align or None, parameters, perplexity, {type: file})
    rows = []
    with Client.spawn(cfspd) as daemon:
        dense = daemon.load_model(model)
        dense_eval = daemon.evaluate(dense, path=test_path, window_size=512, max_windows=args.eval_windows)
        files = {}
        for kind in types:
            files[kind] = os.path.join(args.out, f"dense-{kind}.gguf")
            daemon.export(dense, files[kind], precision=kind, overwrite=True)
        prompt = daemon.tokenize(dense, test_text[:20000])
        rows.append(("dense", None, daemon.describe_model(dense).parameters, dense_eval.perplexity, files, None))
        calibration = daemon.calibrate(dense, path=validation, count=args.calibration_windows,
                                       window_size=args.calibration_window, seed=0)
        for align in aligns:
            result = daemon.prune(dense, calibration, args.sparsity, align=align)
            evaluation = daemon.evaluate(result.pruned, path=test_path, window_size=512, max_windows=args.eval_windows)
            files = {}
            for kind in types:
                files[kind] = os.path.join(args.out, f"pruned{int(args.sparsity * 100)}-align{align}-{kind}.gguf")
                daemon.export(result.pruned, files[kind], precision=kind, overwrite=True)
            rows.append((f"pruned align {align}", align, result.parameters_after, evaluation.perplexity, files,
                         result.widths))
            daemon.unload_model(result.pruned)
            print(f"  align {align}: ppl {evaluation.perplexity:.3f}, widths {result.widths}", file=sys.stderr)
    print(f"cfsp exports done in {time.time() - started:.0f} s", file=sys.stderr)
    tokens = prompt
    if len(tokens) < args.prompt_tokens + args.decode_steps:
        sys.exit("the test text is too short for the prompt and decode steps")

    load_before = load_average()
    best = {}  # (row index, type, threads) -> [prefill, decode]
    for round_index in range(args.rounds):
        for threads in thread_counts:
            for kind in types:
                for index, row in enumerate(rows):
                    prefill, decode = llamacpp_speed(row[4][kind], tokens, args.prompt_tokens, args.decode_steps, threads)
                    key = (index, kind, threads)
                    old = best.get(key, [0.0, 0.0])
                    best[key] = [max(old[0], prefill), max(old[1], decode)]
        print(f"  round {round_index + 1}/{args.rounds} done ({time.time() - started:.0f} s, load {load_average()})",
              file=sys.stderr)
    load_after = load_average()

    lines = [
        f"CPU: {cpu_name()} ({os.cpu_count()} cores); llama-cpp-python {llama_cpp.__version__}; "
        f"load average before {load_before}, after {load_after}",
        f"pruning: FFN sparsity {args.sparsity}, calibration {args.calibration_windows} x {args.calibration_window} "
        f"tokens of WikiText-2 validation (seed 0); perplexity: cfsp, first {args.eval_windows} windows of 512 of "
        f"WikiText-2 test; prefill {args.prompt_tokens} tokens in one batch, decode {args.decode_steps} tokens; "
        f"best of {args.rounds} rounds; 1 thread on the thread CPU clock, 2 threads on the wall clock",
        "",
        "| model | parameters | perplexity | type | threads | prefill tok/s | decode tok/s | prefill / dense | decode / dense | MiB |",
        "| --- | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for threads in thread_counts:
        for kind in types:
            dense_prefill, dense_decode = best[(0, kind, threads)]
            for index, (label, _align, parameters, perplexity, files, _widths) in enumerate(rows):
                prefill, decode = best[(index, kind, threads)]
                lines.append(f"| {label} | {parameters:,} | {perplexity:.3f} | {kind} | {threads} | {prefill:.1f} | "
                             f"{decode:.1f} | {prefill / dense_prefill:.3f} | {decode / dense_decode:.3f} | "
                             f"{os.path.getsize(files[kind]) / 2**20:.1f} |")
    lines.append("")
    for label, _align, _p, _ppl, _files, widths in rows[1:]:
        lines.append(f"{label} FFN widths: {widths}")
    lines.append(f"total {time.time() - started:.0f} s")
    emit("\n".join(lines), args.markdown)


if __name__ == "__main__":
    main()
