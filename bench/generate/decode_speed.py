#!/usr/bin/env python3
"""bench/generate/run's measurement: exports SmolLM2 dense and pruned (f32 GGUF) with cfspd, then
times greedy decoding steps in cfsp (generate's decodeSeconds/decodeSteps) and in llama.cpp (one
Llama.eval of one token per step, argmax of its logits) at 1 and 2 threads, in alternation,
best of 3. Prints a Markdown table with the CPU and the load average."""
import json
import os
import sys
import time

import numpy as np
from llama_cpp import Llama

from cfsp import Client

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from machine import cpu_name  # noqa: E402

PROMPT = "The history of the city begins"




def llama_decode(path, threads, prompt, steps):
    llm = Llama(model_path=path, n_threads=threads, n_threads_batch=threads, n_ctx=len(prompt) + steps + 8,
                logits_all=True, verbose=False)  # logits of the evaluated tokens only (one per step)
    best, tokens = 0.0, None
    for _ in range(3):
        llm.reset()
        llm.eval(prompt)
        out, elapsed = [], 0.0
        logits = np.array(llm.scores[llm.n_tokens - 1])
        for _ in range(steps):
            token = int(logits.argmax())
            out.append(token)
            start = time.perf_counter()
            llm.eval([token])
            logits = np.array(llm.scores[llm.n_tokens - 1])
            elapsed += time.perf_counter() - start
        best = max(best, steps / elapsed)
        tokens = out
    return best, tokens


def cfsp_decode(daemon, path, threads, prompt, steps):
    with Client.spawn(daemon_path=daemon, args=["--threads", str(threads)], show_progress=False) as client:
        handle = client.load_model(path)
        best, tokens = 0.0, None
        for _ in range(3):
            # stop_tokens none and no EOS in the first steps of this prompt: every run does `steps` steps.
            result = client.generate(handle, tokens=prompt, max_tokens=steps + 1)
            if result.decode_steps != steps:
                raise SystemExit(f"cfsp stopped after {result.decode_steps} steps ({result.finish_reason})")
            best = max(best, result.tokens_per_second)
            tokens = result.tokens[:steps]
    return best, tokens


def main():
    model, data, work, steps = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    daemon = os.path.abspath(".build/release/cfspd")
    dense, pruned = os.path.join(work, "dense-f32.gguf"), os.path.join(work, "pruned30-f32.gguf")
    with Client.spawn(daemon_path=daemon, show_progress=False) as client:
        source = client.load_model(model)
        prompt = client.tokenize(source, PROMPT, add_special=True)
        client.export(source, dense, precision="f32", overwrite=True)
        calibration = client.calibrate(source, path=data, count=32, window_size=256, seed=0)
        cut = client.prune(source, calibration, 0.3)
        client.export(cut, pruned, precision="f32", overwrite=True)
    rows = []
    load_before = open("/proc/loadavg").read().split()[0]
    for name, path in (("dense", dense), ("pruned 0.3", pruned)):
        for threads in (1, 2):
            ours, our_tokens = cfsp_decode(daemon, path, threads, prompt, steps)
            theirs, their_tokens = llama_decode(path, threads, prompt, steps)
            same = sum(a == b for a, b in zip(our_tokens, their_tokens))
            rows.append((name, threads, ours, theirs, same))
    load_after = open("/proc/loadavg").read().split()[0]
    print(f"{cpu_name()}; load average {load_before} before, {load_after} after; {steps} greedy steps after a "
          f"{len(prompt)}-token prompt, best of 3; f32 GGUF exported by cfsp")
    print()
    print("| model | threads | cfsp tokens/s | llama.cpp tokens/s | cfsp / llama.cpp | same greedy tokens |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for name, threads, ours, theirs, same in rows:
        print(f"| {name} | {threads} | {ours:.1f} | {theirs:.1f} | {ours / theirs:.2f} | {same}/{steps} |")


if __name__ == "__main__":
    main()
