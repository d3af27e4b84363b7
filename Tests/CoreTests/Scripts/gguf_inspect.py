"""Reads a GGUF file with gguf-py's GGUFReader (the reference implementation) and prints a
JSON summary for the Swift tests: metadata values and types, tensors with shapes and types.

Usage: gguf_inspect.py FILE.gguf
"""
import json
import sys

try:
    import numpy as np
    from gguf import GGUFReader
    from gguf.quants import dequantize
except ImportError as error:  # pragma: no cover - message for the Swift test
    sys.exit(f"missing Python package ({error}): pip install -r scripts/requirements-test.txt")


def main() -> None:
    reader = GGUFReader(sys.argv[1])
    fields = {}
    for name, field in reader.fields.items():
        if name.startswith("GGUF."):
            continue
        value = field.contents()
        fields[name] = {
            "types": [t.name for t in field.types],
            "value": value,
        }
    tensors = []
    for tensor in reader.tensors:
        values = np.asarray(dequantize(tensor.data, tensor.tensor_type), dtype=np.float32).reshape(-1)
        tensors.append({
            "name": tensor.name,
            "dims": [int(d) for d in tensor.shape],
            "type": tensor.tensor_type.name,
            "offset": int(tensor.data_offset),
            "sum": float(values.astype(np.float64).sum()),
            "first": [float(v) for v in values[:4]],
        })
    print(json.dumps({"fields": fields, "tensors": tensors, "alignment": reader.alignment}))


if __name__ == "__main__":
    main()
