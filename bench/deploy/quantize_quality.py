#!/usr/bin/env python3
"""Quality of cfsp's quantized GGUF exports against llama.cpp's own quantizer, measured in llama.cpp.

    python3 bench/deploy/quantize_quality.py [--windows 16] [--window 512] [--out DIR] [--markdown FILE]

With cfspd (this checkout's release build) it loads SmolLM2-135M-Instruct (scripts/fetch-model.sh),
exports it as f32 and as cfsp's own q8_0, q4_0, q4_k_m, q5_k_m and q6_k; calibrates on WikiText-2
validation and prunes the FFNs at --sparsity (default 0.3) with align 1, 32 and 256, exporting each
as f32 and q4_k_m (plus q8_0 for align 32). llama.cpp's llama-quantize (llama_model_quantize from
llama-cpp-python, no importance matrix) quantizes every f32 file to the same types. Each file's
perplexity is then computed by llama.cpp on the same WikiText-2 test windows (bench/deploy/
check_llamacpp.py's method: the first --windows non-overlapping windows of --window tokens), and each
of cfsp's files is compared tensor by tensor with llama.cpp's (type and bytes).

Once per machine, never in CI: needs llama-cpp-python, gguf, numpy and `swift build -c release`.
Most of the time is llama.cpp's perplexity of 18 files: 83 minutes on the shared 2-core build
machine at load average 10-13 (bench/RESULTS.md); fewer --windows make it shorter.
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

import gguf  # noqa: E402
import llama_cpp  # noqa: E402
from cfsp import Client  # noqa: E402
from check_llamacpp import llamacpp_perplexity, wikitext  # noqa: E402
from machine import cpu_name, emit  # noqa: E402

OURS_DENSE = ["q8_0", "q4_0", "q4_k_m", "q5_k_m", "q6_k"]




def llama_quantize(source, target, file_type):
    """llama-quantize SOURCE TARGET FILE_TYPE, in-process, without an importance matrix."""
    params = llama_cpp.llama_model_quantize_default_params()
    params.ftype = getattr(llama_cpp, f"LLAMA_FTYPE_MOSTLY_{file_type.upper()}")
    params.nthread = 2
    status = llama_cpp.llama_model_quantize(source.encode(), target.encode(), params)
    if status != 0:
        sys.exit(f"llama_model_quantize {source} -> {file_type} failed ({status})")


def compare(ours, theirs):
    """(identical tensors, all tensors, type counts of ours) between two GGUF files."""
    a = {t.name: t for t in gguf.GGUFReader(ours).tensors}
    b = {t.name: t for t in gguf.GGUFReader(theirs).tensors}
    same = sum(1 for name, t in a.items() if name in b and t.tensor_type == b[name].tensor_type
               and bytes(t.data.tobytes()) == bytes(b[name].data.tobytes()))
    counts = {}
    for t in a.values():
        counts[t.tensor_type.name] = counts.get(t.tensor_type.name, 0) + 1
    return same, len(set(a) | set(b)), counts


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--windows", type=int, default=16)
    parser.add_argument("--window", type=int, default=512)
    parser.add_argument("--sparsity", type=float, default=0.3)
    parser.add_argument("--calibration-windows", type=int, default=64)
    parser.add_argument("--calibration-window", type=int, default=512)
    parser.add_argument("--out", default="/tmp/cfsp-quantize-quality")
    parser.add_argument("--markdown", help="also write the table to this file")
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    model = subprocess.run([os.path.join(ROOT, "scripts", "fetch-model.sh")], check=True,
                           capture_output=True, text=True).stdout.strip()
    test_path, test_text = wikitext("test")
    validation = os.path.join(os.path.dirname(test_path), "validation.jsonl")
    cfspd = os.path.join(ROOT, ".build", "release", "cfspd")

    def out(name):
        return os.path.join(args.out, name)

    # rows: (label, model kind, cfsp file or None, llama.cpp file or None, f32 reference file)
    rows = []
    widths = {}
    started = time.time()
    with Client.spawn(cfspd) as daemon:
        dense = daemon.load_model(model)
        daemon.export(dense, out("dense-f32.gguf"), precision="f32", overwrite=True)
        for precision in OURS_DENSE:
            result = daemon.export(dense, out(f"dense-cfsp-{precision}.gguf"), precision=precision, overwrite=True)
            for note in result.notes:
                print(f"  dense {precision}: {note}", file=sys.stderr)
        calibration = daemon.calibrate(dense, path=validation, count=args.calibration_windows,
                                       window_size=args.calibration_window, seed=0)
        for align in (1, 32, 256):
            pruned = daemon.prune(dense, calibration, args.sparsity, align=align)
            widths[align] = pruned.widths
            tag = f"pruned{int(args.sparsity * 100)}-align{align}"
            daemon.export(pruned.pruned, out(f"{tag}-f32.gguf"), precision="f32", overwrite=True)
            for precision in ["q4_k_m"] + (["q8_0"] if align == 32 else []):
                result = daemon.export(pruned.pruned, out(f"{tag}-cfsp-{precision}.gguf"), precision=precision, overwrite=True)
                for note in result.notes:
                    print(f"  {tag} {precision}: {note}", file=sys.stderr)
    print(f"cfsp exports done in {time.time() - started:.0f} s", file=sys.stderr)

    rows.append(("dense", "f32", None, None, out("dense-f32.gguf")))
    for precision in OURS_DENSE:
        theirs = out(f"dense-llamacpp-{precision}.gguf")
        llama_quantize(out("dense-f32.gguf"), theirs, precision)
        rows.append(("dense", precision, out(f"dense-cfsp-{precision}.gguf"), theirs, out("dense-f32.gguf")))
    for align in (1, 32, 256):
        tag = f"pruned{int(args.sparsity * 100)}-align{align}"
        f32 = out(f"{tag}-f32.gguf")
        rows.append((f"pruned align {align}", "f32", None, None, f32))
        for precision in ["q4_k_m"] + (["q8_0"] if align == 32 else []):
            theirs = out(f"{tag}-llamacpp-{precision}.gguf")
            llama_quantize(f32, theirs, precision)
            rows.append((f"pruned align {align}", precision, out(f"{tag}-cfsp-{precision}.gguf"), theirs, f32))

    perplexity = {}

    def ppl(path):
        if path not in perplexity:
            perplexity[path] = llamacpp_perplexity(path, test_text, args.windows, args.window)[2]
            print(f"  {os.path.basename(path)}: {perplexity[path]:.4f}", file=sys.stderr)
        return perplexity[path]

    lines = [
        f"CPU: {cpu_name()}; llama-cpp-python {llama_cpp.__version__}; gguf-py {importlib.metadata.version('gguf')}",
        f"perplexity: llama.cpp, WikiText-2 test, first {args.windows} windows of {args.window} tokens; "
        f"pruning: FFN sparsity {args.sparsity}, calibration {args.calibration_windows} windows of "
        f"{args.calibration_window} from WikiText-2 validation, seed 0",
        "",
        "| model | type | f32 ppl | llama.cpp ppl | cfsp ppl | llama.cpp increase | cfsp increase | cfsp / llama.cpp | identical tensors | cfsp MiB | llama.cpp MiB | cfsp tensor types |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for label, precision, ours, theirs, f32 in rows:
        base = ppl(f32)
        if ours is None:
            size = os.path.getsize(f32) / 2**20
            lines.append(f"| {label} | f32 | {base:.4f} | | | | | | | {size:.1f} | | |")
            continue
        theirs_ppl, ours_ppl = ppl(theirs), ppl(ours)
        same, total, counts = compare(ours, theirs)
        increase_theirs, increase_ours = theirs_ppl - base, ours_ppl - base
        ratio = increase_ours / increase_theirs if increase_theirs else float("nan")
        types = ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
        lines.append(f"| {label} | {precision} | {base:.4f} | {theirs_ppl:.4f} | {ours_ppl:.4f} | {increase_theirs:+.4f} | "
                     f"{increase_ours:+.4f} | {ratio:.4f} | {same}/{total} | {os.path.getsize(ours) / 2**20:.1f} | "
                     f"{os.path.getsize(theirs) / 2**20:.1f} | {types} |")
    lines.append("")
    for align, w in widths.items():
        lines.append(f"align {align} FFN widths: {w}")
    lines.append(f"total {time.time() - started:.0f} s")
    emit("\n".join(lines), args.markdown)


if __name__ == "__main__":
    main()
