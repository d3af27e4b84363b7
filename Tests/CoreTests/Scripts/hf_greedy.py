#!/usr/bin/env python3
"""transformers' greedy generation from a GGUF file, as the reference of cfsp's `generate`.

Usage: hf_greedy.py MODEL.gguf MAX_NEW_TOKENS MESSAGES_JSON
Loads the GGUF with transformers' own GGUF reader (AutoConfig with gguf_file, load_gguf_checkpoint
dequantizing the tensors to f32, as bench/reference/gemma3_acceptance.py; from_pretrained with
gguf_file would insist on `accelerate`), the tokenizer and chat template converted from the file's
metadata by AutoTokenizer, renders MESSAGES_JSON (a list of
{role, content}) with apply_chat_template(add_generation_prompt=True), and runs greedy
`generate` (do_sample=False). Prints JSON: the prompt ids, the generated ids, and the argmax
of the logits at each step (the same ids unless an end-of-generation token stops generate).
"""
import json
import os
import sys

import torch
from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer
from transformers.modeling_gguf_pytorch_utils import load_gguf_checkpoint


def main():
    path, new_tokens, messages = sys.argv[1], int(sys.argv[2]), json.loads(sys.argv[3])
    folder, name = os.path.split(os.path.abspath(path))
    torch.manual_seed(0)
    tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=name)
    config = AutoConfig.from_pretrained(folder, gguf_file=name)
    model = AutoModelForCausalLM.from_config(config, dtype=torch.float32, attn_implementation="eager").eval()
    tensors = load_gguf_checkpoint(path, return_tensors=True, model_to_load=model)["tensors"]
    missing, unexpected = model.load_state_dict(tensors, strict=False)
    missing = [k for k in missing if not (config.tie_word_embeddings and k == "lm_head.weight")]
    if missing or unexpected:
        raise SystemExit(f"GGUF tensors did not map onto {type(model).__name__}: missing {missing}, unexpected {unexpected}")
    if config.tie_word_embeddings:
        model.tie_weights()
    rendered = tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)
    prompt = tokenizer(rendered, add_special_tokens=False, return_tensors="pt").input_ids
    with torch.no_grad():
        out = model.generate(prompt, max_new_tokens=new_tokens, do_sample=False, output_scores=True,
                             return_dict_in_generate=True, eos_token_id=None, pad_token_id=0)
    generated = out.sequences[0, prompt.shape[1]:].tolist()
    steps = [int(s[0].argmax()) for s in out.scores]
    print(json.dumps({"rendered": rendered, "prompt": prompt[0].tolist(), "tokens": generated, "argmax": steps}))


if __name__ == "__main__":
    main()
