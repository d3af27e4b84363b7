"""Runs ScaleBench once per model and calibration mode (each in its own process) and prints the
table of bench/README.md, "Scale: calibrating one block at a time"; with --pipeline, prunes each
model without loading it (`ScaleBench pipeline`) and prints the table of "Scale: pruning a model
that does not fit", with a 70B row computed from the largest model measured."""
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
    parser.add_argument("--gemma", help="Gemma 3 270M GGUF (another real model)")
    parser.add_argument("--shapes", default="llama-3.2-1b", help="synthetic shapes, comma-separated")
    parser.add_argument("--windows", type=int, default=2)
    parser.add_argument("--window-size", type=int, default=256)
    parser.add_argument("--precision", default="bf16",
                        help="weight precisions, comma-separated (f32, bf16, native: kept in the file's encoding)")
    parser.add_argument("--gram", action="store_true", help="also accumulate the FFN Gram matrices")
    parser.add_argument("--modes", default=",".join(MODES))
    parser.add_argument("--pipeline", action="store_true",
                        help="calibrate, plan and export each model block by block instead of the calibration modes")
    parser.add_argument("--compensation", default="least-squares,none",
                        help="pipeline: compensations to run, comma-separated (least-squares, none)")
    parser.add_argument("--export", default="bf16", help="pipeline: export type")
    parser.add_argument("--markdown")
    args = parser.parse_args()

    folder = Path(os.environ.get("CFSP_SCALE_DIR", Path.home() / ".cache/cfsp/synthetic"))
    folder.mkdir(parents=True, exist_ok=True)
    models = [m for m in (args.smollm2, args.gemma) if m]
    for shape in filter(None, args.shapes.split(",")):
        path = folder / f"{shape}.q4_k_m.gguf"
        if not path.exists():
            print(f"synthesizing {path} ...", file=sys.stderr, flush=True)
            subprocess.run([args.bench, "synthesize", shape, str(path)], check=True, stdout=sys.stderr)
        models.append(str(path))

    if args.pipeline:
        pipeline(args, models, folder)
        return
    precisions = args.precision.split(",")
    rows = []
    for model in models:
        for mode, precision in [(m, p) for m in args.modes.split(",") for p in precisions]:
            command = [args.bench, "calibrate", model, "--mode", mode, "--precision", precision,
                       "--windows", str(args.windows), "--window-size", str(args.window_size),
                       "--scratch", str(folder)]
            if not args.gram:
                command.append("--no-gram")
            print(" ".join(command), file=sys.stderr, flush=True)
            out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
            rows.append(json.loads(out.strip().splitlines()[-1]))

    lines = [
        f"CPU: {cpu_name()}; load average at the end: {load_average()}; {args.windows} windows of "
        f"{args.window_size} token ids, Gram matrices {'on' if args.gram else 'off'}.",
        "",
        "| model | layers x hidden x FFN | mode | weights | load (s) | calibration (s) | load + calibration (s) | tokens/s | peak RSS (MiB) |",
        "| --- | --- | --- | --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in rows:
        lines.append(
            f"| {r['model']} | {r['layers']} x {r['hidden']} x {r['ffn']} | {r['mode']} | {r['precision']} | {r['load_s']:.1f} | "
            f"{r['calibration_s']:.1f} | {r['load_s'] + r['calibration_s']:.1f} | {r['tokens_per_s']:.1f} | "
            f"{r['peak_rss_mib']:.0f} |")
    emit("\n".join(lines), args.markdown)


#: Llama-3.1-70B's shape (SyntheticGGUF's llama-3.1-70b): layers, hidden, FFN, KV heads x head size, vocabulary.
SHAPE_70B = {"layers": 80, "hidden": 8192, "ffn": 28672, "kv": 8 * 128, "vocab": 128256}


def block_parameters(hidden: int, ffn: int, kv: int) -> int:
    """Weights of one Llama block: q and o (hidden x hidden), k and v (kv x hidden), gate, up, down."""
    return 2 * hidden * hidden + 2 * kv * hidden + 3 * hidden * ffn


def extrapolate_70b(row: dict) -> dict:
    """The 70B shape from a measured row: every phase walks the blocks once, so its time is taken as
    proportional to the blocks' parameters (calibration: times the same tokens), and its peak as at most
    the measured peak times the ratio of one block's size (the largest thing any phase holds is one
    block and what scales with it; the embedding grows less, by the hidden size alone)."""
    kv = row["kv"]
    measured = block_parameters(row["hidden"], row["ffn"], kv)
    big = block_parameters(SHAPE_70B["hidden"], SHAPE_70B["ffn"], SHAPE_70B["kv"])
    time_ratio = big * SHAPE_70B["layers"] / (measured * row["layers"])
    peak_ratio = big / measured
    out = dict(row, model="llama-3.1-70b (computed)", layers=SHAPE_70B["layers"], hidden=SHAPE_70B["hidden"],
               ffn=SHAPE_70B["ffn"], computed=True)
    for phase in ("calibrate", "plan", "export"):
        out[f"{phase}_s"] = row[f"{phase}_s"] * time_ratio
        out[f"{phase}_peak_mib"] = row[f"{phase}_peak_mib"] * peak_ratio
    out["peak_rss_mib"] = row["peak_rss_mib"] * peak_ratio
    out["output_bytes"] = row["output_bytes"] * time_ratio
    out["gram_spill_bytes"] = row["gram_spill_bytes"] * (SHAPE_70B["layers"] * SHAPE_70B["ffn"] ** 2) / (
        row["layers"] * row["ffn"] ** 2)
    out["tokens_per_s"] = row["tokens_per_s"] / time_ratio
    out["ratios"] = (time_ratio, peak_ratio)
    return out


def pipeline(args, models: list, folder: Path) -> None:
    """`ScaleBench pipeline` per model and compensation, each in its own process, and the table."""
    rows = []
    for model in models:
        for compensation in filter(None, args.compensation.split(",")):
            out_path = folder / f"pruned-{compensation}-{Path(model).name}"
            command = [args.bench, "pipeline", model, str(out_path), "--compensation", compensation,
                       "--export", args.export, "--windows", str(args.windows),
                       "--window-size", str(args.window_size), "--scratch", str(folder)]
            print(" ".join(command), file=sys.stderr, flush=True)
            out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
            rows.append(json.loads(out.strip().splitlines()[-1]))
            out_path.unlink(missing_ok=True)
    emit(pipeline_table(rows, args.windows, args.window_size, args.export), args.markdown)


def pipeline_table(rows: list, windows: int, window_size: int, export: str) -> str:
    """The Markdown table of `pipeline` rows (ScaleBench's JSON lines), with the 70B rows computed."""
    largest = max(rows, key=lambda r: (r["layers"] * block_parameters(r["hidden"], r["ffn"], r["kv"]),
                                        r["compensation"] == "none"))
    computed = [extrapolate_70b(r) for r in rows if r["model"] == largest["model"]]
    lines = [
        f"CPU: {cpu_name()}; load average at the end: {load_average()}; {windows} windows of "
        f"{window_size} token ids, f32 blocks, FFN sparsity 0.3, export {export}.",
        "",
        "| model | layers x hidden x FFN | compensation | calibrate (s) | plan (s) | export (s) | "
        "calibrate peak (MiB) | plan peak (MiB) | export peak (MiB) | Gram on disk (GB) | output (GB) |",
        "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in rows + computed:
        lines.append(
            f"| {r['model']} | {r['layers']} x {r['hidden']} x {r['ffn']} | {r['compensation']} | "
            f"{r['calibrate_s']:.0f} | {r['plan_s']:.0f} | {r['export_s']:.0f} | {r['calibrate_peak_mib']:.0f} | "
            f"{r['plan_peak_mib']:.0f} | {r['export_peak_mib']:.0f} | {r['gram_spill_bytes'] / 1e9:.1f} | "
            f"{r['output_bytes'] / 1e9:.1f} |")
    for r in computed:
        time_ratio, peak_ratio = r["ratios"]
        lines += ["", f"The 70B row ({r['compensation']}) is computed from {largest['model']}: times x {time_ratio:.2f} "
                  f"(the blocks' parameters), peaks x {peak_ratio:.2f} at most (one block's size)."]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
