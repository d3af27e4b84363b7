"""Calibration spread over Ray workers (cfsp.distributed) beside one process, on SmolLM2 and
WikiText-2 validation: 2 workers of 1 thread each vs one cfspd with 2 threads and with 1 thread,
the same N windows of S tokens (the daemon's draw, seed 0). Prints one table and checks that the
merged statistics equal the single-process ones (within 1e-6 relative)."""

from __future__ import annotations

import argparse
import base64
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "clients" / "python"))
sys.path.insert(0, str(ROOT / "bench"))

import numpy  # noqa: E402
import ray  # noqa: E402

from cfsp import Client  # noqa: E402
from cfsp.distributed import calibrate_distributed  # noqa: E402
from machine import cpu_name, load_average  # noqa: E402






def max_relative_difference(a: dict, b: dict) -> float:
    worst = 0.0

    def compare(x: float, y: float) -> None:
        nonlocal worst
        worst = max(worst, abs(x - y) / max(abs(y), 1e-9))

    assert a["windows"] == b["windows"] and a["tokens"] == b["tokens"]
    for g, w in zip(a["blocks"], b["blocks"]):
        for key in ("angularSum", "cosineSum", "mseSum", "maeSum"):
            compare(g[key], w[key])
        for key in ("activationSum", "activationSquareSum"):
            for x, y in zip(g[key], w[key]):
                compare(x, y)
        if "gram" in w:
            decode = lambda m: numpy.frombuffer(base64.b64decode(m), dtype="<f8")  # noqa: E731
            gg, wg = decode(g["gram"]["upperTriangleFloat64Base64"]), decode(w["gram"]["upperTriangleFloat64Base64"])
            # Gram entries near zero: relative to the block's largest entry.
            worst = max(worst, float(numpy.abs(gg - wg).max() / numpy.abs(wg).max()))
    return worst


def saved(client: Client, calibration: str, folder: str, name: str) -> dict:
    path = os.path.join(folder, name)
    client.save_calibration(calibration, path, overwrite=True)
    with open(path, encoding="utf-8") as file:
        return json.load(file)


def single(cfspd: str, model: str, text: str, args: argparse.Namespace, threads: int, folder: str):
    began = time.monotonic()
    with Client.spawn(cfspd, args=["--threads", str(threads), "--log-level", "warning"], show_progress=False) as c:
        m = c.load_model(model, progress=False)
        cal = c.calibrate(m, text=text, count=args.windows, window_size=args.window_size, seed=args.seed,
                          gram=not args.no_gram, progress=False)
        wall = time.monotonic() - began
        stats = saved(c, cal.calibration, folder, f"single-{threads}.json")
    return cal.seconds, wall, stats


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", required=True)
    parser.add_argument("--text", required=True, help="WikiText-2 validation JSONL")
    parser.add_argument("--cfspd", required=True)
    parser.add_argument("--windows", type=int, default=16)
    parser.add_argument("--window-size", type=int, default=512)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-gram", action="store_true")
    args = parser.parse_args()
    cfspd = os.path.abspath(args.cfspd)
    with open(args.text, encoding="utf-8") as file:
        text = "\n\n".join(json.loads(line)["text"] for line in file if line.strip())  # the daemon's JSONL join

    print(f"CPU: {cpu_name()} ({os.cpu_count()} cores); load average before: {load_average()}")
    print(f"windows: {args.windows} x {args.window_size} tokens, seed {args.seed}, "
          f"gram {'off' if args.no_gram else 'on'}; model {os.path.basename(args.model)} (f32)")
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        seconds1, wall1, stats1 = single(cfspd, args.model, text, args, 1, folder)
        rows.append(("one process, 1 thread", seconds1, wall1))
        seconds2, wall2, stats2 = single(cfspd, args.model, text, args, 2, folder)
        rows.append(("one process, 2 threads", seconds2, wall2))

        began = time.monotonic()
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False,
                 runtime_env={"env_vars": {"PYTHONPATH": str(ROOT / "clients" / "python")}})
        # Start both workers before timing (a cluster keeps its workers between calls).
        ray.get([ray.remote(num_cpus=1)(lambda: os.getpid()).remote() for _ in range(2)])
        ray_start = time.monotonic() - began
        with calibrate_distributed(args.model, text=text, count=args.windows, window_size=args.window_size,
                                   seed=args.seed, workers=2, threads_per_worker=1, gram=not args.no_gram,
                                   daemon_path=cfspd) as result:
            merged = saved(result.client, result.calibration.calibration, folder, "merged.json")
            compute = max(p["seconds"] for p in result.parts)
            rows.append(("Ray, 2 workers x 1 thread", compute, result.seconds))
            hosts = sorted({(p["host"], p["pid"]) for p in result.parts})
            stages = ", ".join(f"{k} {v:.1f} s" for k, v in result.stages.items())
        ray.shutdown()
        tokens = args.windows * args.window_size
        print()
        print("| configuration | calibration s (slowest part) | tokens/s | end to end s | speed-up vs 1 thread (end to end) |")
        print("| --- | ---: | ---: | ---: | ---: |")
        for name, compute, wall in rows:
            print(f"| {name} | {compute:.2f} | {tokens / compute:.0f} | {wall:.2f} | {wall1 / wall:.2f} |", flush=True)
        difference = max_relative_difference(merged, stats2)
        difference1 = max_relative_difference(stats1, stats2)

    print()
    print(f"end to end: spawn cfspd, load the model, tokenize, calibrate (Ray: also the workers' loads, saving, "
          f"transfer and calibration/merge; not ray.init and the workers' start, {ray_start:.1f} s); workers: {hosts}")
    print(f"Ray stages: {stages}")
    print(f"merged vs one process (2 threads): max relative difference {difference:.2e}; "
          f"1 thread vs 2 threads: {difference1:.2e} -> {'OK' if difference <= 1e-6 else 'MISMATCH'}")
    print(f"load average after: {load_average()}")
    return 0 if difference <= 1e-6 else 1


if __name__ == "__main__":
    sys.exit(main())
