"""generate, tokenize and detokenize against a real cfspd on the tiny test model: the Python
client (result, callback, iterator, cancellation) and the `cfsp` CLI (text streamed to stdout)."""

from __future__ import annotations

import json
import os
import subprocess

import pytest

import cfsp
from cfsp import Client


@pytest.fixture
def model(cfspd: str, tiny_model: str):
    with Client.spawn(daemon_path=cfspd, show_progress=False) as client:
        yield client, client.load_model(tiny_model)


def test_greedy_generation_is_reproducible_and_streams_its_text(model) -> None:
    client, handle = model
    pieces = []
    result = client.generate(handle, "the quick brown", max_tokens=12, on_text=pieces.append)
    assert isinstance(result, cfsp.Generation)
    assert result.model == handle.model and result.finish_reason in ("length", "eos")
    assert 1 <= len(result.tokens) <= 12 and result.generated_tokens == len(result.tokens)
    assert result.prompt_tokens == len(client.tokenize(handle, "the quick brown", add_special=True))
    assert "".join(pieces) == result.text
    assert result.text == client.detokenize(handle, result.tokens, skip_special=True)
    again = client.generate(handle, "the quick brown", max_tokens=12)
    assert again.tokens == result.tokens
    streamed = client.generate_stream(handle, "the quick brown", max_tokens=12)
    assert "".join(streamed) == result.text
    assert streamed.result is not None and streamed.result.tokens == result.tokens


def test_sampling_follows_the_seed(model) -> None:
    client, handle = model
    runs = [client.generate(handle, "the", max_tokens=16, temperature=4.0, top_k=200, top_p=0.99, seed=s)
            for s in (1, 1, 2, 3)]
    assert runs[0].tokens == runs[1].tokens and runs[0].seed == 1
    assert any(r.tokens != runs[0].tokens for r in runs[2:])
    drawn = client.generate(handle, "the", max_tokens=16, temperature=4.0)
    assert client.generate(handle, "the", max_tokens=16, temperature=4.0, seed=drawn.seed).tokens == drawn.tokens


def test_stop_tokens_prompt_tokens_and_limits(model) -> None:
    client, handle = model
    free = client.generate(handle, tokens=[10, 20, 30], max_tokens=8)
    assert free.prompt_tokens == 3
    stopped = client.generate(handle, tokens=[10, 20, 30], max_tokens=8, stop_tokens=[free.tokens[2]])
    assert stopped.finish_reason == "stop"
    assert stopped.tokens == free.tokens[:free.tokens.index(free.tokens[2])]
    with pytest.raises(cfsp.InvalidParams, match="maxTokens"):
        client.generate(handle, "x", max_tokens=0)
    with pytest.raises(cfsp.InvalidParams, match="exactly one"):
        client.generate(handle, "x", tokens=[1])


def test_a_model_without_a_chat_template_says_so(model) -> None:
    client, handle = model
    with pytest.raises(cfsp.InvalidForModel, match="no chat template"):
        client.generate(handle, messages=[{"role": "user", "content": "hi"}])


def test_leaving_the_stream_early_cancels_the_generation(model) -> None:
    client, handle = model
    stream = client.generate_stream(handle, tokens=[1], max_tokens=120, temperature=4.0, seed=4)
    received = []
    for piece in stream:
        received.append(piece)
        if len(received) == 2:
            break
    assert len(received) == 2 and stream.result is None
    # The daemon answered the cancellation; the client and the model keep working.
    assert client.generate(handle, tokens=[1], max_tokens=2).generated_tokens >= 1


def test_tokenize_and_detokenize_round_trip(model) -> None:
    client, handle = model
    ids = client.tokenize(handle, "the other thing")
    assert ids and all(isinstance(i, int) for i in ids)
    assert client.detokenize(handle, ids) == "the other thing"
    with pytest.raises(cfsp.InvalidForModel):
        client.detokenize(handle, [10**6])


def test_cli_generate_streams_the_text_of_the_result(cfsp_cli: str, cfspd: str, socket_daemon: str,
                                                     tiny_model: str) -> None:
    env = dict(os.environ, CFSPD=cfspd)

    def cli(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([cfsp_cli, *args, "--socket", socket_daemon], capture_output=True, text=True,
                              timeout=120, env=env)

    assert cli("model", "load", tiny_model, "--quiet").returncode == 0
    as_json = cli("generate", "--model", "m1", "--prompt", "the lazy dog", "--max-tokens", "10", "--json")
    assert as_json.returncode == 0, as_json.stderr
    result = json.loads(as_json.stdout)
    streamed = cli("generate", "--model", "m1", "--text", "the lazy dog", "--max-tokens", "10")
    assert streamed.returncode == 0, streamed.stderr
    assert streamed.stdout == result["text"] + "\n"
    assert f"{len(result['tokens'])} tokens, {result['finishReason']}" in streamed.stderr
    ids = cli("tokenize", "--model", "m1", "--text", "the lazy dog")
    assert ids.returncode == 0 and ids.stdout.strip()
    text = cli("detokenize", "--model", "m1", "--tokens", ids.stdout.strip())
    assert text.returncode == 0 and text.stdout == "the lazy dog\n"
    refused = cli("generate", "--model", "m1", "--text", "x", "--top-p", "0")
    assert refused.returncode == 64 and "--top-p" in refused.stderr
