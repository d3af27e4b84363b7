#!/usr/bin/env python3
"""Reference quantizations for the Swift quantizer tests.

  quant_reference.py INPUT.f32 OUTDIR

INPUT.f32 holds raw little-endian f32 values (a multiple of 256). For each type gguf-py
quantizes (Q8_0, Q4_0, Q4_1, Q5_0, Q5_1) OUTDIR/gguf-<TYPE>.bin is gguf.quants.quantize of
the values. When llama-cpp-python is installed (it ships ggml), OUTDIR/ggml-<TYPE>.bin is
ggml's own reference quantizer (quantize_row_<type>_ref, what llama-quantize runs without an
importance matrix) for those types and Q4_K, Q5_K, Q6_K; without it no ggml-*.bin is written.
"""
import ctypes
import glob
import os
import sys

try:
    import numpy as np
    import gguf
    from gguf import GGMLQuantizationType as Q
except ImportError as error:  # the Swift test turns this exit code into a failure with this text
    print(f"missing Python package ({error}): pip install -r scripts/requirements-test.txt", file=sys.stderr)
    sys.exit(3)

GGUF_TYPES = ["Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1"]
GGML_TYPES = GGUF_TYPES + ["Q4_K", "Q5_K", "Q6_K"]


def ggml_library():
    """libggml-base from llama-cpp-python, or None when it is not installed."""
    try:
        import llama_cpp
    except ImportError:
        return None
    folder = os.path.join(os.path.dirname(llama_cpp.__file__), "lib")
    for path in sorted(glob.glob(os.path.join(folder, "libggml-base.so*")) + glob.glob(os.path.join(folder, "libggml-base.dylib"))):
        try:
            return ctypes.CDLL(path)
        except OSError:
            continue
    return None


def main():
    source, outdir = sys.argv[1], sys.argv[2]
    values = np.fromfile(source, dtype="<f4")
    for name in GGUF_TYPES:
        gguf.quants.quantize(values.reshape(1, -1), getattr(Q, name)).tofile(os.path.join(outdir, f"gguf-{name}.bin"))
    library = ggml_library()
    if library is None:
        return
    data = np.ascontiguousarray(values, dtype=np.float32)
    for name in GGML_TYPES:
        function = getattr(library, f"quantize_row_{name[0].lower() + name[1:]}_ref")
        function.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int64]
        function.restype = None
        block_size, type_size = gguf.GGML_QUANT_SIZES[getattr(Q, name)]
        out = np.zeros(len(data) // block_size * type_size, dtype=np.uint8)
        function(data.ctypes.data, out.ctypes.data, len(data))
        out.tofile(os.path.join(outdir, f"ggml-{name}.bin"))


if __name__ == "__main__":
    main()
