#!/usr/bin/env python3
"""Quantizes a GGUF file with llama.cpp's own llama-quantize (llama_model_quantize, through
llama-cpp-python), without an importance matrix, single-threaded.

  llamacpp_quantize.py INPUT.gguf OUTPUT.gguf FILE_TYPE     e.g. Q4_K_M, Q8_0

Exits 4 when llama-cpp-python is not installed (the Swift test that uses it is then off).
"""
import sys

try:
    import llama_cpp
except ImportError as error:
    print(f"llama-cpp-python is not installed ({error})", file=sys.stderr)
    sys.exit(4)


def main():
    source, target, file_type = sys.argv[1], sys.argv[2], sys.argv[3].upper()
    params = llama_cpp.llama_model_quantize_default_params()
    params.ftype = getattr(llama_cpp, f"LLAMA_FTYPE_MOSTLY_{file_type}")
    params.nthread = 1
    status = llama_cpp.llama_model_quantize(source.encode(), target.encode(), params)
    if status != 0:
        sys.exit(f"llama_model_quantize failed with status {status}")


if __name__ == "__main__":
    main()
