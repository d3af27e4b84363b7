#!/usr/bin/env python3
"""Golden renders of chat templates by transformers' own Jinja environment.

Writes chat_templates.json beside this script: each template (SmolLM2-135M-Instruct's, as stored
in the GGUF's tokenizer.chat_template; Gemma 3's instruction-tuned one, from google/gemma-3-270m-it's
tokenizer_config.json; and a template that exercises the rest of cfsp's Jinja subset), each message
set, and what transformers renders (transformers.utils.chat_template_utils._compile_jinja_template:
jinja2's ImmutableSandboxedEnvironment with trim_blocks, lstrip_blocks and loopcontrols).
CoreTests' ChatTemplateTests compare cfsp's interpreter with these strings; rerun this script
(python3 Tests/CoreTests/Scripts/chat_template_golden.py) when a template or message set changes.
With --gguf PATH it also checks that the SmolLM2 template here is the one stored in PATH.
"""
import json
import os
import sys

from transformers.utils.chat_template_utils import _compile_jinja_template

SMOLLM2 = (
    "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}{{ '<|im_start|>system\n"
    "You are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n"
    "' }}{% endif %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)

GEMMA3 = """{{ bos_token }}
{%- if messages[0]['role'] == 'system' -%}
    {%- if messages[0]['content'] is string -%}
        {%- set first_user_prefix = messages[0]['content'] + '\\n\\n' -%}
    {%- else -%}
        {%- set first_user_prefix = messages[0]['content'][0]['text'] + '\\n\\n' -%}
    {%- endif -%}
    {%- set loop_messages = messages[1:] -%}
{%- else -%}
    {%- set first_user_prefix = "" -%}
    {%- set loop_messages = messages -%}
{%- endif -%}
{%- for message in loop_messages -%}
    {%- if (message['role'] == 'user') != (loop.index0 % 2 == 0) -%}
        {{ raise_exception("Conversation roles must alternate user/assistant/user/assistant/...") }}
    {%- endif -%}
    {%- if (message['role'] == 'assistant') -%}
        {%- set role = "model" -%}
    {%- else -%}
        {%- set role = message['role'] -%}
    {%- endif -%}
    {{ '<start_of_turn>' + role + '\\n' + (first_user_prefix if loop.first else "") }}
    {%- if message['content'] is string -%}
        {{ message['content'] | trim }}
    {%- elif message['content'] is iterable -%}
        {%- for item in message['content'] -%}
            {%- if item['type'] == 'image' -%}
                {{ '<start_of_image>' }}
            {%- elif item['type'] == 'text' -%}
                {{ item['text'] | trim }}
            {%- endif -%}
        {%- endfor -%}
    {%- else -%}
        {{ raise_exception("Invalid content type") }}
    {%- endif -%}
    {{ '<end_of_turn>\\n' }}
{%- endfor -%}
{%- if add_generation_prompt -%}
    {{'<start_of_turn>model\\n'}}
{%- endif -%}
"""

# The rest of the subset: namespaces, loop variables, filters, tests, slices, methods, break and
# continue, whitespace control without '-', comparisons and arithmetic.
SUBSET = """{%- set ns = namespace(count=0, last='') %}
{% for m in messages if m.role != 'system' %}
  {%- set ns.count = ns.count + 1 %}
  {%- if m.content.startswith('skip') %}{% continue %}{% endif %}
  [{{ loop.index }}/{{ loop.length }}{{ ' first' if loop.first }}{{ ' last' if loop.last }}] {{ m.role | upper }}: {{ m.content | trim | replace('a', 'A') }} ({{ m.content | length }})
  {%- if m.content | length > 40 %}{% break %}{% endif %}
  {% set ns.last = m.role ~ '#' ~ loop.index0 %}
{% endfor %}
count={{ ns.count }} last={{ ns.last }} {{ messages[-1].role }} {{ messages[1:3] | length }} {{ (messages | last).content[:5] }}
{{ 7 // 2 }} {{ -7 % 3 }} {{ 2 * 3 + 1 }} {{ 1 / 4 }} {{ 'x' * 3 }} {{ [1, 2] + [3] }} {{ none is none }} {{ undefined_name is defined }}
{{ messages[0] | tojson }} {{ {'b': 1, 'a': [true, none, 'é"q']} | tojson }} {{ 'a,b' .split(',') | join('+') }} {{ ' pad '.strip() }}|{{ 'Hello' [::-1] }}
{% if messages | length is even %}even{% elif messages | length is divisibleby(3) %}three{% else %}odd{% endif %} {{ 'ell' in 'hello' }} {{ 3 not in [1, 2] }} {{ 'b' < 'a' or 2 >= 2 }}
{%- for k, v in {'x': 1, 'y': 2}.items() %} {{ k }}={{ v }}{% endfor %} {{ range(3) | list }} {{ messages[0].get('name', 'anon') }} {{ (messages | first).role | capitalize }}
"""

MESSAGES = {
    "one user turn": [{"role": "user", "content": "What is the capital of France?"}],
    "system and two turns": [
        {"role": "system", "content": "You answer in one word."},
        {"role": "user", "content": "  Colour of the sky?  "},
        {"role": "assistant", "content": "Blue."},
        {"role": "user", "content": "And grass?\nBe brief."},
    ],
    "unicode and quotes": [
        {"role": "user", "content": "Ça va? \"quoted\" and 'single' — ünïcödé ✓"},
        {"role": "assistant", "content": "skip this one"},
        {"role": "user", "content": "a very long message that is longer than forty characters, so the loop breaks"},
        {"role": "assistant", "content": "never reached"},
    ],
    "roles out of order": [
        {"role": "user", "content": "one"},
        {"role": "user", "content": "two"},
    ],
}


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    if "--gguf" in sys.argv:
        import gguf

        reader = gguf.GGUFReader(sys.argv[sys.argv.index("--gguf") + 1])
        field = reader.fields["tokenizer.chat_template"]
        stored = bytes(field.parts[field.data[0]]).decode()
        assert stored == SMOLLM2, "the SmolLM2 template differs from the GGUF's"
    templates = {"smollm2": SMOLLM2, "gemma3": GEMMA3, "subset": SUBSET}
    cases = []
    for name, source in templates.items():
        compiled = _compile_jinja_template(source)
        for label, messages in MESSAGES.items():
            for generation in (True, False):
                try:
                    text = compiled.render(messages=messages, add_generation_prompt=generation,
                                           bos_token="<bos>", eos_token="<eos>")
                    cases.append({"template": name, "messages": label, "addGenerationPrompt": generation,
                                  "rendered": text})
                except Exception as error:  # raise_exception in the template
                    cases.append({"template": name, "messages": label, "addGenerationPrompt": generation,
                                  "error": str(error)})
    out = {"source": "Tests/CoreTests/Scripts/chat_template_golden.py (transformers %s, jinja2 %s)" % (
        __import__("transformers").__version__, __import__("jinja2").__version__),
        "templates": templates, "messages": MESSAGES, "cases": cases}
    with open(os.path.join(here, "chat_templates.json"), "w", encoding="utf-8") as f:
        json.dump(out, f, ensure_ascii=False, indent=1, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
