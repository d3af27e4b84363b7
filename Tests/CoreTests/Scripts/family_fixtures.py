#!/usr/bin/env python3
"""Independent references for cfsp's model families, written at test time by transformers.

  family_fixtures.py OUTDIR [FAMILY ...]

For each family (default: all of llama, mistral, qwen2, qwen3, gemma3) a tiny random-weight
model is built with transformers (seeded, float32) and written three ways:

  OUTDIR/<family>/hf/            save_pretrained: config.json + model.safetensors
  OUTDIR/<family>/model.gguf     the same weights in llama.cpp's conventions for the architecture
                                 (what convert_hf_to_gguf.py writes), every tensor F32
  OUTDIR/<family>/reference.json the token ids, transformers' eager float32 logits for every
                                 position, for the folder ("hf") and for the GGUF file ("gguf"),
                                 and a summary of the configuration

Where llama.cpp cannot express a setting of the Hugging Face model, the GGUF file says what
convert_hf_to_gguf.py would say, and its reference logits are those of the model llama.cpp runs
for that file (computed by transformers with the setting changed); reference.json lists every
such difference under gguf.differences_from_hf:

  mistral  llama.cpp's `llama` architecture has no sliding window: full causal attention.
  gemma3   llama.cpp scales attention scores by 1/sqrt(key_length) (query_pre_attn_scalar is
           not stored); the sliding/full layer pattern (every 6th layer full) and the sliding
           layers' rotary base (10000) are fixed in llama.cpp, and this model uses exactly those.

llama.cpp conventions written here (read from convert_hf_to_gguf.py and src/models/*.cpp):
  - tensor names from gguf-py's own name map (gguf.get_tensor_name_map), e.g. Gemma 3's
    pre_feedforward_layernorm -> blk.N.ffn_norm, post_attention_layernorm ->
    blk.N.post_attention_norm, post_feedforward_layernorm -> blk.N.post_ffw_norm;
  - llama/mistral: Q and K rows permuted from the rotate-half (NEOX) layout to interleaved pairs;
    qwen2/qwen3/gemma3 are NEOX-rope architectures in llama.cpp and are not permuted;
  - gemma3: 1 added to every tensor whose name ends in `norm.weight` (input, post-attention,
    pre- and post-feedforward, q_norm, k_norm and the final norm), as Gemma3RMSNorm multiplies
    by (1 + weight);
  - llama with rope_type llama3: `rope_freqs.weight`, one divisor per rotary frequency pair;
  - tied embeddings: no `output.weight`.

Each GGUF file is read back with transformers' own GGUF loader where it supports the
architecture, and its logits are compared with the file's reference (stderr and
reference.json's transformers_gguf_check). That loader ignores some keys, so the check passes it
the values it cannot read (listed as "overrides"): llama3 rope scaling (it ignores rope_freqs),
Qwen3's head_dim (it does not map qwen3.attention.key_length) and Gemma 3's
query_pre_attn_scalar (defaulted to 256 by Gemma3TextConfig; llama.cpp uses key_length).

Exit status: 0 on success, 3 when a Python package is missing, 1 on any other error.
"""
import json
import os
import sys
from pathlib import Path

os.environ.setdefault("TQDM_DISABLE", "1")  # stderr is for the report, not for progress bars
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")

try:
    import numpy as np
    import torch
    import transformers
    import gguf
    from transformers import (AutoConfig, AutoModelForCausalLM, Gemma3ForCausalLM, Gemma3TextConfig,
                              LlamaConfig, LlamaForCausalLM, MistralConfig, MistralForCausalLM,
                              Qwen2Config, Qwen2ForCausalLM, Qwen3Config, Qwen3ForCausalLM)
    from transformers.modeling_gguf_pytorch_utils import load_gguf_checkpoint
except ImportError as error:  # the Swift test turns this exit code into a failure with this text
    print(f"missing Python package ({error}): pip install -r scripts/requirements-test.txt", file=sys.stderr)
    sys.exit(3)

VOCAB = 300
SEQUENCE = 40            # longer than every sliding window below
SPECIAL = {"bos": 297, "eos": 298, "pad": 299}
COMMON = dict(vocab_size=VOCAB, hidden_size=64, num_attention_heads=4, num_key_value_heads=2,
              max_position_embeddings=512, bos_token_id=SPECIAL["bos"], eos_token_id=SPECIAL["eos"],
              pad_token_id=SPECIAL["pad"])


def family_specs():
    """Family name -> (model class, config, GGUF architecture, seed). Values chosen so that a
    wrong convention shows: untied and tied heads, head_dim != hidden/heads, rope bases that differ,
    windows shorter than the sequence."""
    return {
        "llama": (LlamaForCausalLM, LlamaConfig(
            **COMMON, intermediate_size=128, num_hidden_layers=3, rms_norm_eps=1e-5,
            tie_word_embeddings=False,
            # head_dim 16 at base 5e5: wavelengths 6.3, 32, 167, ... With original context 64
            # (high-frequency wavelength 16, low-frequency 64), pair 0 keeps its frequency,
            # pair 1 is smoothed, pairs 2-7 are divided by 8.
            rope_parameters={"rope_type": "llama3", "rope_theta": 500000.0, "factor": 8.0,
                             "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                             "original_max_position_embeddings": 64}), "llama", 101),
        "mistral": (MistralForCausalLM, MistralConfig(
            **COMMON, intermediate_size=128, num_hidden_layers=3, rms_norm_eps=1e-5,
            tie_word_embeddings=False, sliding_window=8,
            rope_parameters={"rope_type": "default", "rope_theta": 1000000.0}), "llama", 102),
        "qwen2": (Qwen2ForCausalLM, Qwen2Config(
            **COMMON, intermediate_size=160, num_hidden_layers=3, rms_norm_eps=1e-6,
            tie_word_embeddings=True, use_sliding_window=False,
            rope_parameters={"rope_type": "default", "rope_theta": 1000000.0}), "qwen2", 103),
        "qwen3": (Qwen3ForCausalLM, Qwen3Config(
            **COMMON, intermediate_size=96, num_hidden_layers=3, head_dim=24, rms_norm_eps=1e-6,
            tie_word_embeddings=False, attention_bias=False, use_sliding_window=False,
            rope_parameters={"rope_type": "default", "rope_theta": 1000000.0}), "qwen3", 104),
        "gemma3": (Gemma3ForCausalLM, Gemma3TextConfig(
            **COMMON, intermediate_size=96, num_hidden_layers=6, head_dim=32, query_pre_attn_scalar=24,
            rms_norm_eps=1e-6, tie_word_embeddings=True, sliding_window=8,
            hidden_activation="gelu_pytorch_tanh",
            layer_types=["sliding_attention"] * 5 + ["full_attention"],
            rope_parameters={"full_attention": {"rope_type": "default", "rope_theta": 1000000.0},
                             "sliding_attention": {"rope_type": "default", "rope_theta": 10000.0}}),
            "gemma3", 105),
    }


def log(message):
    print(message, file=sys.stderr, flush=True)


def randomise(model, seed, gemma):
    """Every parameter drawn afresh: matrices N(0, 1/fan_in) so activations stay O(1),
    embeddings N(0, 1), biases N(0, 0.5), norm weights 1 + N(0, 0.3) (Gemma: N(0, 0.3), since
    its norms multiply by 1 + weight). Nothing keeps a default one or zero."""
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, parameter in model.named_parameters():
            noise = torch.randn(parameter.shape, generator=generator, dtype=torch.float32)
            if parameter.dim() == 2:
                scale = 1.0 if "embed_tokens" in name else parameter.shape[1] ** -0.5
                parameter.copy_(noise * scale)
            elif name.endswith("bias"):
                parameter.copy_(noise * 0.5)
            elif "norm" in name:
                parameter.copy_(noise * 0.3 + (0.0 if gemma else 1.0))
            else:
                raise ValueError(f"no randomisation rule for parameter {name} {tuple(parameter.shape)}")


def logits_of(model, tokens):
    with torch.no_grad():
        out = model(torch.tensor([tokens], dtype=torch.long), use_cache=False)
    return out.logits[0].to(torch.float32).numpy()


def load_hf(folder, **overrides):
    return AutoModelForCausalLM.from_pretrained(
        folder, dtype=torch.float32, attn_implementation="eager", **overrides).eval()


def relative_error(a, b):
    return float(np.max(np.abs(a - b)) / max(1.0, float(np.max(np.abs(b)))))


# --- the GGUF side -------------------------------------------------------------------------

def byte_alphabet():
    """GPT-2's byte -> printable character table (printable Latin-1 bytes map to themselves,
    the rest to U+0100 upwards, in byte order)."""
    printable = list(range(ord("!"), ord("~") + 1)) + list(range(0xA1, 0xAD)) + list(range(0xAE, 0x100))
    table, extra = {}, 0
    for byte in range(256):
        if byte in printable:
            table[byte] = chr(byte)
        else:
            table[byte] = chr(256 + extra)
            extra += 1
    return [table[b] for b in range(256)]


def tokenizer_vocabulary():
    """A minimal byte-level BPE vocabulary of exactly VOCAB tokens: the 256 byte tokens, 41 merges,
    then the three control tokens at SPECIAL's ids (cfsp loads GGUF files through their
    tokenizer.ggml.* keys, and llama.cpp wants one token per embedding row)."""
    alphabet = byte_alphabet()
    space = alphabet[ord(" ")]
    pairs = [(a, b) for a, b in ["th", "he", "in", "er", "an", "re", "on", "at", "en", "nd", "ti", "es",
                                  "or", "te", "of", "ed", "is", "it", "al", "ar", "st", "to", "nt", "ng",
                                  "se", "ha", "as", "ou", "io", "le"]]
    pairs += [(space, c) for c in "tasowbcmfp"] + [("th", "e")]
    tokens = alphabet + [a + b for a, b in pairs] + ["<s>", "</s>", "<pad>"]
    assert len(tokens) == VOCAB and len(set(tokens)) == VOCAB
    assert tokens.index("<s>") == SPECIAL["bos"] and tokens.index("<pad>") == SPECIAL["pad"]
    types = [gguf.TokenType.NORMAL] * (VOCAB - 3) + [gguf.TokenType.CONTROL] * 3
    return tokens, [f"{a} {b}" for a, b in pairs], types


def llama_permute(weight, heads):
    """convert_hf_to_gguf.py's Q/K row order for llama.cpp's interleaved rotary: within each head,
    the rotate-half halves [x0..x(d/2-1) | x(d/2)..x(d-1)] become pairs (x0, x(d/2)), (x1, ...)."""
    rows = weight.shape[0]
    return (weight.reshape(heads, 2, rows // heads // 2, *weight.shape[1:])
            .swapaxes(1, 2).reshape(weight.shape))


def rope_factors(model):
    """Llama 3 rope_freqs: default inverse frequency / scaled inverse frequency, per pair, taken
    from transformers' own rotary module (llama.cpp divides each angle by the factor)."""
    config = model.config
    base = config.rope_parameters["rope_theta"]
    dim = config.head_dim
    default = 1.0 / (base ** (torch.arange(0, dim, 2, dtype=torch.float32) / dim))
    scaled = model.model.rotary_emb.inv_freq.to(torch.float32)
    return (default / scaled).numpy().astype(np.float32)


def write_gguf(path, family, arch, model, config_json):
    config = model.config
    layers = config.num_hidden_layers
    writer = gguf.GGUFWriter(str(path), arch)
    writer.add_name(f"cfsp tiny {family}")
    writer.add_file_type(gguf.LlamaFileType.ALL_F32)
    writer.add_block_count(layers)
    writer.add_context_length(config.max_position_embeddings)
    writer.add_embedding_length(config.hidden_size)
    writer.add_feed_forward_length(config.intermediate_size)
    writer.add_head_count(config.num_attention_heads)
    writer.add_head_count_kv(config.num_key_value_heads)
    writer.add_layer_norm_rms_eps(config.rms_norm_eps)
    rope = config.rope_parameters
    full_rope = rope.get("full_attention", rope)
    writer.add_rope_freq_base(full_rope["rope_theta"])
    if config_json.get("head_dim") is not None:  # convert_hf_to_gguf.py writes it when config.json has it
        writer.add_key_length(config.head_dim)
        writer.add_value_length(config.head_dim)
    if arch == "llama":
        writer.add_vocab_size(config.vocab_size)
        writer.add_rope_dimension_count(config.head_dim)
    if arch == "gemma3":
        writer.add_sliding_window(config.sliding_window)
        writer.add_rope_freq_base_swa(rope["sliding_attention"]["rope_theta"])

    tokens, merges, types = tokenizer_vocabulary()
    writer.add_tokenizer_model("gpt2")
    writer.add_tokenizer_pre("default")
    writer.add_token_list(tokens)
    writer.add_token_types(types)
    writer.add_token_merges(merges)
    writer.add_bos_token_id(SPECIAL["bos"])
    writer.add_eos_token_id(SPECIAL["eos"])
    writer.add_pad_token_id(SPECIAL["pad"])
    writer.add_add_bos_token(False)

    names = gguf.get_tensor_name_map(getattr(gguf.MODEL_ARCH, arch.upper()), layers)
    tied = bool(config.tie_word_embeddings)
    written = []
    for hf_name, tensor in model.state_dict().items():
        if tied and hf_name == "lm_head.weight":
            continue
        if "rotary_emb" in hf_name:
            continue
        base, suffix = hf_name.rsplit(".", 1)
        gguf_base = names.get_name(base)
        if gguf_base is None:
            raise ValueError(f"gguf-py has no {arch} tensor name for {hf_name}")
        data = tensor.detach().to(torch.float32).clone()
        if arch == "llama" and base.endswith("self_attn.q_proj"):
            data = llama_permute(data, config.num_attention_heads)
        elif arch == "llama" and base.endswith("self_attn.k_proj"):
            data = llama_permute(data, config.num_key_value_heads)
        if arch == "gemma3" and hf_name.endswith("norm.weight"):
            data = data + 1.0
        name = f"{gguf_base}.{suffix}"
        writer.add_tensor(name, data.numpy())
        written.append(name)
    if arch == "llama" and full_rope.get("rope_type") == "llama3":
        factors = rope_factors(model)
        writer.add_tensor("rope_freqs.weight", factors)
        written.append("rope_freqs.weight")
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return written


# --- one family ----------------------------------------------------------------------------

def build_family(outdir, family, spec, tokens):
    model_class, config, arch, seed = spec
    config._attn_implementation = "eager"
    torch.manual_seed(seed)
    model = model_class(config).eval()
    randomise(model, seed, gemma=(family == "gemma3"))
    folder = outdir / family
    hf_dir = folder / "hf"
    model.save_pretrained(hf_dir)
    config_json = json.loads((hf_dir / "config.json").read_text())

    # The reference is what the folder on disk means to transformers.
    reloaded = load_hf(hf_dir)
    hf_logits = logits_of(reloaded, tokens)
    in_memory = logits_of(model, tokens)
    assert np.array_equal(hf_logits, in_memory), f"{family}: the saved folder does not reproduce the model"

    notes = {}
    differences = []
    gguf_logits = hf_logits
    if family == "mistral":
        full = logits_of(load_hf(hf_dir, sliding_window=None), tokens)
        changed = relative_error(hf_logits, full)
        notes["sliding_window_effect"] = changed
        log(f"mistral: transformers {transformers.__version__} applies sliding_window={config.sliding_window} "
            f"(logits change by {changed:.3g} relative when it is removed)")
        if changed > 0:
            differences.append("no sliding window: llama.cpp's llama architecture attends to every earlier token")
            gguf_logits = full
    if family == "gemma3":
        gguf_logits = logits_of(load_hf(hf_dir, query_pre_attn_scalar=config.head_dim), tokens)
        differences.append(f"attention scale 1/sqrt(key_length={config.head_dim}) instead of "
                           f"1/sqrt(query_pre_attn_scalar={config.query_pre_attn_scalar}): llama.cpp does not store the "
                           "scalar and uses key_length")
        notes["query_pre_attn_scalar_effect"] = relative_error(hf_logits, gguf_logits)
    if family == "llama":
        plain = logits_of(load_hf(hf_dir, rope_parameters={"rope_type": "default", "rope_theta": 500000.0}), tokens)
        notes["llama3_scaling_effect"] = relative_error(hf_logits, plain)
        notes["rope_freqs"] = [float(x) for x in rope_factors(reloaded)]
        log(f"llama: rope_freqs {np.round(notes['rope_freqs'], 4).tolist()}; "
            f"scaling changes logits by {notes['llama3_scaling_effect']:.3g} relative")

    gguf_path = folder / "model.gguf"
    written = write_gguf(gguf_path, family, arch, reloaded, config_json)
    check = transformers_gguf_check(family, folder, gguf_path, reloaded.config, tokens, gguf_logits, hf_logits)

    reference = {
        "family": family,
        "hf_class": model_class.__name__,
        "gguf_architecture": arch,
        "transformers_version": transformers.__version__,
        "tokens": tokens,
        "vocab_size": VOCAB,
        "config": config_summary(reloaded.config),
        "config_json": config_json,
        "hf": {"path": "hf", "logits": flat(hf_logits)},
        "gguf": {"path": "model.gguf", "logits": flat(gguf_logits), "same_as_hf": not differences,
                 "differences_from_hf": differences, "tensors": written},
        "notes": notes,
        "transformers_gguf_check": check,
    }
    (folder / "reference.json").write_text(json.dumps(reference))
    log(f"{family}: wrote hf/, model.gguf ({len(written)} tensors), reference.json "
        f"(logits {hf_logits.shape[0]}x{hf_logits.shape[1]}, max |logit| {np.max(np.abs(hf_logits)):.3f})")


def transformers_gguf_check(family, folder, gguf_path, hf_config, tokens, gguf_logits, hf_logits):
    """Reads the GGUF file with transformers' own GGUF loader and compares its logits.

    `AutoModelForCausalLM.from_pretrained(folder, gguf_file=...)` insists on the `accelerate`
    package, so this calls the two functions it is made of: AutoConfig.from_pretrained with
    gguf_file (the metadata mapping) and load_gguf_checkpoint (tensor names, the reverse Q/K
    permutation for llama, minus one on Gemma norms)."""
    overrides = {}
    try:
        config = AutoConfig.from_pretrained(folder, gguf_file=gguf_path.name)
        if family == "llama":
            overrides["rope_parameters"] = dict(hf_config.rope_parameters)
        if family == "qwen3":
            overrides["head_dim"] = hf_config.head_dim
        if family == "gemma3":
            overrides["query_pre_attn_scalar"] = hf_config.head_dim
        for key, value in overrides.items():
            setattr(config, key, value)
        mismatched = {}
        for key in ["vocab_size", "hidden_size", "intermediate_size", "num_hidden_layers", "num_attention_heads",
                    "num_key_value_heads", "head_dim", "rms_norm_eps", "tie_word_embeddings", "sliding_window",
                    "layer_types", "max_position_embeddings", "rope_parameters"]:
            ours, theirs = getattr(config, key, None), getattr(hf_config, key, None)
            if isinstance(ours, float) and isinstance(theirs, float) and abs(ours - theirs) <= 1e-7 * abs(theirs):
                continue  # GGUF stores f32: 1e-5 comes back as 9.99999975e-06
            if hasattr(hf_config, key) and ours != theirs:
                mismatched[key] = [ours, theirs]
        model = AutoModelForCausalLM.from_config(config, dtype=torch.float32, attn_implementation="eager").eval()
        parsed = load_gguf_checkpoint(str(gguf_path), return_tensors=True, model_to_load=model)
        missing, unexpected = model.load_state_dict(parsed["tensors"], strict=False)
        missing = [k for k in missing if not (config.tie_word_embeddings and k == "lm_head.weight")]
        if missing or unexpected:
            raise ValueError(f"tensors missing {missing}, unexpected {unexpected}")
        logits = logits_of(model, tokens)
    except Exception as error:  # report, never fail the fixtures on the cross-check
        log(f"{family}: transformers could not load {gguf_path.name}: {type(error).__name__}: {error}")
        return {"status": "error", "error": f"{type(error).__name__}: {error}", "overrides": sorted(overrides)}
    against_gguf = relative_error(logits, gguf_logits)
    against_hf = relative_error(logits, hf_logits)
    status = "match" if against_gguf <= 1e-5 else "mismatch"
    log(f"{family}: transformers' GGUF loader ({type(model).__name__}, model_type {config.model_type}) gives "
        f"logits within {against_gguf:.2g} (relative) of the GGUF reference and {against_hf:.2g} of the HF "
        f"model: {status.upper()}"
        + (f"; overrides {sorted(overrides)}" if overrides else "")
        + (f"; its config differs from the HF model's in {mismatched}" if mismatched else ""))
    return {"status": status, "relative_error_vs_gguf_reference": against_gguf,
            "relative_error_vs_hf": against_hf, "loaded_as": type(model).__name__,
            "overrides": sorted(overrides), "config_differences": {k: str(v) for k, v in mismatched.items()}}


def config_summary(config):
    keys = ["model_type", "vocab_size", "hidden_size", "intermediate_size", "num_hidden_layers",
            "num_attention_heads", "num_key_value_heads", "head_dim", "rms_norm_eps", "max_position_embeddings",
            "tie_word_embeddings", "rope_parameters", "sliding_window", "use_sliding_window", "layer_types",
            "query_pre_attn_scalar", "attention_bias", "hidden_act", "hidden_activation",
            "final_logit_softcapping", "attn_logit_softcapping"]
    return {k: getattr(config, k) for k in keys if hasattr(config, k)}


def flat(logits):
    """Row-major positions x vocabulary, each f32 printed with 9 significant digits (exact)."""
    return [float(f"{v:.9g}") for v in logits.astype(np.float32).reshape(-1).tolist()]


def main(argv):
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    outdir = Path(argv[1])
    specs = family_specs()
    chosen = argv[2:] or list(specs)
    unknown = [f for f in chosen if f not in specs]
    if unknown:
        log(f"unknown families {unknown}; known: {list(specs)}")
        return 2
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    transformers.logging.set_verbosity_error()
    transformers.logging.disable_progress_bar()
    tokens = np.random.default_rng(20250301).integers(0, VOCAB - 3, size=SEQUENCE).tolist()
    for family in chosen:
        build_family(outdir, family, specs[family], tokens)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
