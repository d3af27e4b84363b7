#!/usr/bin/env python3
"""Reference fixtures for the Swift GGUF tests, written at test time with the `gguf` package.

  gguf_fixtures.py dequant  OUTDIR          random tensors of every supported type in
                                            OUTDIR/quant.gguf, gguf.quants.dequantize of each
                                            in OUTDIR/<TYPE>.f32 (raw little-endian f32)
  gguf_fixtures.py metadata OUTDIR          OUTDIR/metadata.gguf with every metadata value type
  gguf_fixtures.py tensor   MODEL NAME OUT  gguf's dequantization of tensor NAME of MODEL as raw f32
"""
import sys

try:
    import numpy as np
    import gguf
    from gguf import GGMLQuantizationType as Q
except ImportError as error:  # the Swift test turns this exit code into a failure with this text
    print(f"missing Python package ({error}): pip install -r scripts/requirements-test.txt", file=sys.stderr)
    sys.exit(3)

# Byte offsets of the f16 fields of each block type (scale, minimum); everything else is random.
HALF_FIELDS = {
    Q.Q8_0: [0], Q.Q4_0: [0], Q.Q4_1: [0, 2], Q.Q5_0: [0], Q.Q5_1: [0, 2], Q.Q4_K: [0, 2], Q.Q5_K: [0, 2], Q.Q6_K: [208],
}


def random_blocks(rng, qtype, rows, cols):
    """Random quantized rows whose f16 scale fields are finite (random bytes could be NaN/inf)."""
    block_size, type_size = gguf.GGML_QUANT_SIZES[qtype]
    blocks = rng.integers(0, 256, size=(rows * cols // block_size, type_size), dtype=np.uint8)
    for offset in HALF_FIELDS[qtype]:
        halves = rng.uniform(-3.0, 3.0, size=blocks.shape[0]).astype(np.float16)
        halves[0] = 0.0  # a zero scale, as in real files' empty blocks
        blocks[:, offset:offset + 2] = halves.view(np.uint8).reshape(-1, 2)
    return blocks.reshape(rows, cols // block_size * type_size)


def dequant(outdir):
    rng = np.random.default_rng(20250611)
    writer = gguf.GGUFWriter(f"{outdir}/quant.gguf", "llama")
    references = {}

    f32 = rng.standard_normal((3, 40)).astype(np.float32)
    writer.add_tensor("F32", f32)
    references["F32"] = gguf.quants.dequantize(f32.view(np.uint8), Q.F32)

    # Every f16 bit pattern: zeros, subnormals, normals, infinities, NaNs.
    f16 = np.arange(65536, dtype=np.uint32).astype(np.uint16).view(np.float16).reshape(256, 256)
    writer.add_tensor("F16", f16)
    references["F16"] = gguf.quants.dequantize(f16, Q.F16)

    bf16 = (rng.standard_normal((4, 48)).astype(np.float32).view(np.uint32) >> 16).astype(np.uint16)
    bf16_bytes = bf16.view(np.uint8).reshape(4, 96)
    writer.add_tensor("BF16", bf16_bytes, raw_dtype=Q.BF16)
    references["BF16"] = gguf.quants.dequantize(bf16_bytes, Q.BF16)

    for qtype, rows, cols in [(Q.Q8_0, 5, 64), (Q.Q4_0, 5, 96), (Q.Q4_1, 4, 64),
                              (Q.Q5_0, 4, 96), (Q.Q5_1, 4, 64),
                              (Q.Q4_K, 3, 512), (Q.Q5_K, 3, 512), (Q.Q6_K, 3, 512)]:
        blocks = random_blocks(rng, qtype, rows, cols)
        writer.add_tensor(qtype.name, blocks, raw_dtype=qtype)
        references[qtype.name] = gguf.quants.dequantize(blocks, qtype)

    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    for name, values in references.items():
        np.ascontiguousarray(values, dtype="<f4").tofile(f"{outdir}/{name}.f32")


def metadata(outdir):
    writer = gguf.GGUFWriter(f"{outdir}/metadata.gguf", "llama")
    V = gguf.GGUFValueType
    writer.add_uint8("t.u8", 200)
    writer.add_int8("t.i8", -100)
    writer.add_uint16("t.u16", 60000)
    writer.add_int16("t.i16", -30000)
    writer.add_uint32("t.u32", 4000000000)
    writer.add_int32("t.i32", -2000000000)
    writer.add_uint64("t.u64", 18000000000000000000)
    writer.add_int64("t.i64", -9000000000000000000)
    writer.add_float32("t.f32", 1.5)
    writer.add_float64("t.f64", -2.25e300)
    writer.add_bool("t.true", True)
    writer.add_bool("t.false", False)
    writer.add_string("t.str", "héllo ✓")
    writer.add_array("t.ints", [1, -2, 3])
    writer.add_key_value("t.u8s", [1, 2, 255], V.ARRAY, sub_type=V.UINT8)
    writer.add_key_value("t.u64s", [2**63, 7], V.ARRAY, sub_type=V.UINT64)
    writer.add_array("t.floats", [0.5, -1.25])
    writer.add_array("t.bools", [True, False, True])
    writer.add_array("t.strs", ["a", "", "ünï"])
    writer.add_array("t.nested", [[1, 2], [3]])
    writer.add_array("t.nested2", [[["x"], ["y", "z"]]])
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()


def tensor(model, name, out):
    reader = gguf.GGUFReader(model)
    matches = [t for t in reader.tensors if t.name == name]
    if not matches:
        print(f"no tensor {name} in {model}", file=sys.stderr)
        sys.exit(4)
    t = matches[0]
    values = gguf.quants.dequantize(t.data, t.tensor_type)
    np.ascontiguousarray(values, dtype="<f4").tofile(out)


if __name__ == "__main__":
    command, args = sys.argv[1], sys.argv[2:]
    {"dequant": dequant, "metadata": metadata, "tensor": tensor}[command](*args)
