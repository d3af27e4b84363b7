"""lm-evaluation-harness through cfspd: the ``cfsp`` model of ``cfsp.lm_eval`` runs three local
tasks (lm_eval_tasks/: multiple choice, rolling log-likelihood, generation) on the tiny test
model, and every number it reports is checked against an independent computation: transformers
(CPU torch) on the model's Hugging Face export, tokenized by the export's own tokenizer.json, and
the daemon's ``evaluate`` for the rolling log-likelihood."""

from __future__ import annotations

import json
import math
import re
import subprocess
import sys
from pathlib import Path
from typing import Dict, List, Sequence, Tuple

import numpy as np
import pytest

import lm_eval
from lm_eval import utils as lm_utils
from lm_eval.tasks import TaskManager

import cfsp.lm_eval  # noqa: F401  (registers the model)
from cfsp import Client
from cfsp.lm_eval import CfspLM

TASKS = Path(__file__).resolve().parent / "lm_eval_tasks"
ALL_TASKS = ["cfsp_mc", "cfsp_rolling", "cfsp_generate"]


def tasks() -> TaskManager:
    """The local tasks only (indexing lm-eval's thousands of built-in ones takes seconds)."""
    return TaskManager(include_path=str(TASKS), include_defaults=False)


def close(actual: float, expected: float) -> bool:
    """float32 forward passes in two implementations: agree to 1e-4 of the magnitude."""
    return abs(actual - expected) <= 1e-4 * max(1.0, abs(expected))


@pytest.fixture(scope="module")
def evaluation(cfspd: str, tiny_model: str):
    """lm-eval's simple_evaluate of the three tasks, the model spawned from model_args."""
    return lm_eval.simple_evaluate(
        model="cfsp", model_args=f"model={tiny_model},daemon={cfspd},batch_size=8",
        tasks=ALL_TASKS, task_manager=tasks(), log_samples=True)


@pytest.fixture(scope="module")
def reference(cfspd: str, tiny_model: str, tmp_path_factory: pytest.TempPathFactory):
    """transformers on the tiny model's HF export: (model, tokenizer, special ids)."""
    import torch
    import transformers
    folder = tmp_path_factory.mktemp("lm-eval-hf") / "tiny-hf"
    with Client.spawn(daemon_path=cfspd, show_progress=False) as client:
        info = client.load_model(tiny_model)
        client.export(info, str(folder), format="hf")
    model = transformers.AutoModelForCausalLM.from_pretrained(str(folder), torch_dtype=torch.float32)
    model.eval()
    tokenizer = transformers.AutoTokenizer.from_pretrained(str(folder))
    return model, tokenizer, info


def hf_log_probs(reference, tokens: Sequence[int]) -> np.ndarray:
    """log p(tokens[i + 1] | tokens[:i + 1]) for every i, and the argmax rows, by transformers."""
    import torch

    model = reference[0]
    with torch.no_grad():
        logits = model(torch.tensor([list(tokens)])).logits[0].double()
    return torch.log_softmax(logits, dim=-1).numpy()


def hf_score(reference, context: List[int], continuation: List[int]) -> Tuple[float, bool]:
    """lm-eval's (log-likelihood, is_greedy) of a continuation, computed with transformers."""
    rows = hf_log_probs(reference, context + continuation)
    total, greedy = 0.0, True
    for i, token in enumerate(continuation):
        row = rows[len(context) + i - 1]
        total += float(row[token])
        greedy = greedy and int(np.argmax(row)) == token
    return total, greedy


def hf_split(reference, context: str, continuation: str) -> Tuple[List[int], List[int]]:
    """lm-eval's context/continuation split, by the export's tokenizer (HF's own rule: trailing
    spaces of the context move to the continuation, the whole is encoded and cut at the context)."""
    tokenizer = reference[1]
    spaces = len(context) - len(context.rstrip())
    if spaces:
        continuation, context = context[-spaces:] + continuation, context[:-spaces]
    whole = tokenizer.encode(context + continuation, add_special_tokens=False)
    head = tokenizer.encode(context, add_special_tokens=False)
    return head, whole[len(head):]


def test_multiple_choice_matches_transformers_and_accuracy_follows(evaluation, reference) -> None:
    samples = evaluation["samples"]["cfsp_mc"]
    assert len(samples) == 8
    correct = correct_norm = 0
    for sample in samples:
        scores = [tuple(r) for r in sample["filtered_resps"]]
        assert len(scores) == len(sample["doc"]["choices"])
        for (context, continuation), (score, greedy) in zip(sample["arguments"], scores):
            head, tail = hf_split(reference, context, continuation)
            expected, expected_greedy = hf_score(reference, head, tail)
            assert close(score, expected), (context, continuation, score, expected)
            assert greedy == expected_greedy
        lls = np.array([s for s, _ in scores])
        lengths = np.array([float(len(c)) for c in sample["doc"]["choices"]])
        gold = sample["doc"]["answer"]
        assert sample["acc"] == float(np.argmax(lls) == gold)
        correct += int(np.argmax(lls) == gold)
        correct_norm += int(np.argmax(lls / lengths) == gold)
    results = evaluation["results"]["cfsp_mc"]
    assert 0.0 <= results["acc,none"] <= 1.0
    assert results["acc,none"] == pytest.approx(correct / len(samples))
    assert results["acc_norm,none"] == pytest.approx(correct_norm / len(samples))


def test_rolling_loglikelihood_is_evaluates_and_transformers_windows(evaluation, reference, cfspd: str,
                                                                   tiny_model: str) -> None:
    samples = evaluation["samples"]["cfsp_rolling"]
    info = reference[2]
    prefix = info.bos_token if info.bos_token is not None else info.eos_token
    context_length = info.config["contextLength"]
    windows_seen = 0
    with Client.spawn(daemon_path=cfspd, show_progress=False) as client:
        model = client.load_model(tiny_model)
        for sample in samples:
            text = sample["doc"]["text"]
            (total,) = sample["filtered_resps"] if isinstance(sample["filtered_resps"], list) else (sample["filtered_resps"],)
            tokens = reference[1].encode(text, add_special_tokens=False)
            assert tokens == client.tokenize(model, text)
            windows = [lm_utils.make_disjoint_window(w) for w in lm_utils.get_rolling_token_windows(
                token_list=tokens, prefix_token=prefix, max_seq_len=context_length, context_len=1)]
            windows_seen += len(windows)
            expected = sum(hf_score(reference, c, t)[0] for c, t in windows)
            assert close(total, expected), (text[:30], total, expected)
            if len(tokens) + 1 <= context_length:
                # One window: the prefix token then the document, which evaluate scores whole.
                ev = client.evaluate(model, tokens=[prefix] + tokens, window_size=len(tokens) + 1)
                assert ev.scored_tokens == len(tokens)
                assert close(total, -math.log(ev.perplexity) * ev.scored_tokens)
    assert windows_seen > len(samples), "the long document spans several windows"
    results = evaluation["results"]["cfsp_rolling"]
    words = sum(len(re.split(r"\s+", s["doc"]["text"])) for s in samples)  # lm-eval's count_words
    totals = sum(float(np.ravel(s["filtered_resps"])[0]) for s in samples)
    assert results["word_perplexity,none"] == pytest.approx(math.exp(-totals / words), rel=1e-9)


def test_generate_until_is_greedy_decoding_cut_at_until(evaluation, reference) -> None:
    import torch

    model, tokenizer, _ = reference
    samples = evaluation["samples"]["cfsp_generate"]
    eos = tokenizer.decode([tokenizer.eos_token_id])
    for sample in samples:
        (text,) = sample["filtered_resps"] if isinstance(sample["filtered_resps"], list) else (sample["filtered_resps"],)
        ids = tokenizer.encode(sample["doc"]["prompt"], add_special_tokens=False)
        generated: List[int] = []
        with torch.no_grad():
            for _ in range(6):  # the task's max_gen_toks
                token = int(model(torch.tensor([ids + generated])).logits[0, -1].argmax())
                if token == tokenizer.eos_token_id:
                    break
                generated.append(token)
        expected = tokenizer.decode(generated, skip_special_tokens=True).split("\n")[0].split(eos)[0]
        assert text == expected, (sample["doc"]["prompt"], text, expected)
    assert 0.0 <= evaluation["results"]["cfsp_generate"]["exact_match,none"] <= 1.0


def test_a_pruned_model_by_handle_on_a_running_daemon(socket_daemon: str, tiny_model: str, text_file: str) -> None:
    with Client.connect(socket_daemon, show_progress=False) as client:
        dense = client.load_model(tiny_model)
        calibration = client.calibrate(dense, path=text_file, count=4, window_size=16)
        pruned = client.prune(dense, calibration, sparsity=0.25)
        lm = CfspLM(model=pruned.pruned, client=client)
        result = lm_eval.simple_evaluate(model=lm, tasks=["cfsp_mc"], task_manager=tasks(),
                                         log_samples=True)
        sample = result["samples"]["cfsp_mc"][0]
        context, continuation = sample["arguments"][0]
        head = lm.tok_encode(context)
        whole = lm.tok_encode(context + continuation)
        (direct,) = client.loglikelihood(pruned.pruned, [(head, whole[len(head):])])
        assert tuple(sample["filtered_resps"][0]) == (direct.log_likelihood, direct.is_greedy)
        assert result["config"]["model_handle"] == pruned.pruned
        lm.close()
        assert pruned.pruned in [m.model for m in client.list_models()], "a model the lm did not load stays"


def test_the_command_line_runs_a_task(cfspd: str, tiny_model: str, evaluation, tmp_path: Path) -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "cfsp.lm_eval", "--model", "cfsp", "--model_args", f"model={tiny_model},daemon={cfspd}",
         "--tasks", "cfsp_mc", "--include_path", str(TASKS), "--output_path", str(tmp_path)],
        capture_output=True, text=True, timeout=300, cwd=str(Path(cfsp.__file__).resolve().parents[1]))
    assert completed.returncode == 0, completed.stderr[-3000:]
    written = list(tmp_path.rglob("results_*.json"))
    assert len(written) == 1, completed.stdout[-2000:]
    results = json.loads(written[0].read_text())["results"]["cfsp_mc"]
    assert results["acc,none"] == evaluation["results"]["cfsp_mc"]["acc,none"]
    assert "cfsp_mc" in completed.stdout
