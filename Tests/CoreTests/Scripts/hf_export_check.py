#!/usr/bin/env python3
"""Load cfsp Hugging Face exports with transformers, as a user would, and report what they compute.

Usage: hf_export_check.py REQUEST.json OUT.json

REQUEST.json: {"jobs": [{"folder": ..., "texts_utf8": [[bytes], ...], "tokens": [...]}, ...]} -- for
each export folder, texts to tokenize (as UTF-8 bytes, so no JSON layer normalizes them) and token
ids to run (either may be absent); one process serves every
job, so torch and transformers are imported once. Each folder is loaded with

    AutoTokenizer.from_pretrained(FOLDER)
    AutoModelForCausalLM.from_pretrained(FOLDER, trust_remote_code=True, dtype=torch.float32)

(eager attention, CPU) and OUT.json's `results[i]` gets, for job i: the tokenizer and model
classes, the ids of each text without and with special tokens, each text's NFC form (UTF-8 bytes,
by Python's unicodedata), the FFN width transformers built
for each layer, the generation config's special ids, and the logits of `tokens` (every position)
as float32 little-endian in the file OUT.json.<i>.f32 (and those of the same model run in
float64 in OUT.json.<i>.f64). Exit status 3 when a Python package
is missing, 1 on any other error.
"""
import json
import os
import sys
import unicodedata

os.environ.setdefault("TQDM_DISABLE", "1")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

try:
    import torch
    import transformers
    from transformers import AutoModelForCausalLM, AutoTokenizer
except ImportError as error:
    print(f"missing Python package ({error}): pip install -r scripts/requirements-test.txt", file=sys.stderr)
    sys.exit(3)


def run_job(job, logits_path):
    folder = job["folder"]
    report = {}
    if job.get("texts_utf8") is not None:
        texts = [bytes(text).decode("utf-8") for text in job["texts_utf8"]]
        tokenizer = AutoTokenizer.from_pretrained(folder)
        report["tokenizer_class"] = type(tokenizer).__name__
        report["ids"] = [tokenizer(text, add_special_tokens=False)["input_ids"] for text in texts]
        report["ids_with_special"] = [tokenizer(text)["input_ids"] for text in texts]
        # Python's NFC of each text: what a tokenizer with an NFC normalizer (Qwen2Tokenizer) sees.
        report["nfc_utf8"] = [list(unicodedata.normalize("NFC", text).encode("utf-8")) for text in texts]
    if job.get("tokens") is not None:
        model = AutoModelForCausalLM.from_pretrained(
            folder, trust_remote_code=True, dtype=torch.float32, attn_implementation="eager").eval()
        report["model_class"] = type(model).__name__
        report["model_class_bases"] = [base.__name__ for base in type(model).__mro__[1:3]]
        report["widths"] = [layer.mlp.down_proj.in_features for layer in model.model.layers]
        generation = model.generation_config
        report["generation"] = {"bos_token_id": generation.bos_token_id, "eos_token_id": generation.eos_token_id,
                                "pad_token_id": generation.pad_token_id}
        with torch.no_grad():
            logits = model(torch.tensor([job["tokens"]], dtype=torch.long), use_cache=False).logits[0]
        report["logits_shape"] = list(logits.shape)
        logits.to(torch.float32).numpy().astype("<f4").tofile(logits_path)
        # The same model in float64: the logits without transformers' own f32 rounding, so the
        # caller can tell cfsp's error from the reference's.
        with torch.no_grad():
            exact = model.double()(torch.tensor([job["tokens"]], dtype=torch.long), use_cache=False).logits[0]
        exact.numpy().astype("<f8").tofile(logits_path[:-len(".f32")] + ".f64")
    return report


def main() -> int:
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    request_path, out_path = sys.argv[1:]
    with open(request_path, encoding="utf-8") as file:
        request = json.load(file)
    transformers.logging.set_verbosity_error()
    results = [run_job(job, f"{out_path}.{index}.f32") for index, job in enumerate(request["jobs"])]
    staging = out_path + ".partial"
    with open(staging, "w", encoding="utf-8") as file:
        json.dump({"transformers_version": transformers.__version__, "results": results}, file)
    os.replace(staging, out_path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
