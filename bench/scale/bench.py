"""Runs ScaleBench once per model and calibration mode (each in its own process) and prints the
table of bench/README.md, "Scale: calibrating one block at a time"."""
import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from machine import cpu_name, emit, load_average  # noqa: E402

MODES = ["loaded", "sequential", "sequential-file"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bench", required=True, help="the ScaleBench executable")
    parser.add_argument("--smollm2", help="SmolLM2-135M GGUF (a real model beside the synthetic ones)")
    parser.add_argument("--shapes", default="llama-3.2-1b", help="synthetic shapes, comma-separated")
    parser.add_argument("--windows", type=int, default=2)
    parser.add_argument("--window-size", type=int, default=256)
    parser.add_argument("--precision", default="bf16", choices=["f32", "bf16"])
    parser.add_argument("--gram", action="store_true", help="also accumulate the FFN Gram matrices")
    parser.add_argument("--modes", default=",".join(MODES))
    parser.add_argument("--markdown")
    args = parser.parse_args()

    folder = Path(os.environ.get("CFSP_SCALE_DIR", Path.home() / ".cache/cfsp/synthetic"))
    folder.mkdir(parents=True, exist_ok=True)
    models = [args.smollm2] if args.smollm2 else []
    for shape in filter(None, args.shapes.split(",")):
        path = folder / f"{shape}.q4_k_m.gguf"
        if not path.exists():
            print(f"synthesizing {path} ...", file=sys.stderr, flush=True)
            subprocess.run([args.bench, "synthesize", shape, str(path)], check=True, stdout=sys.stderr)
        models.append(str(path))

    rows = []
    for model in models:
        for mode in args.modes.split(","):
            command = [args.bench, "calibrate", model, "--mode", mode, "--precision", args.precision,
                       "--windows", str(args.windows), "--window-size", str(args.window_size),
                       "--scratch", str(folder)]
            if not args.gram:
                command.append("--no-gram")
            print(" ".join(command), file=sys.stderr, flush=True)
            out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
            rows.append(json.loads(out.strip().splitlines()[-1]))

    lines = [
        f"CPU: {cpu_name()}; load average at the end: {load_average()}; {args.windows} windows of "
        f"{args.window_size} token ids, {args.precision} weights, Gram matrices {'on' if args.gram else 'off'}.",
        "",
        "| model | layers x hidden x FFN | mode | load (s) | calibration (s) | load + calibration (s) | tokens/s | peak RSS (MiB) |",
        "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in rows:
        lines.append(
            f"| {r['model']} | {r['layers']} x {r['hidden']} x {r['ffn']} | {r['mode']} | {r['load_s']:.1f} | "
            f"{r['calibration_s']:.1f} | {r['load_s'] + r['calibration_s']:.1f} | {r['tokens_per_s']:.1f} | "
            f"{r['peak_rss_mib']:.0f} |")
    emit("\n".join(lines), args.markdown)


if __name__ == "__main__":
    main()
