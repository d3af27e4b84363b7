"""lm-evaluation-harness through cfspd: the ``cfsp`` model of ``cfsp.lm_eval`` runs three local
tasks (lm_eval_tasks/: multiple choice, rolling log-likelihood, generation) on the tiny test
model, and every number it reports is checked against an independent computation: transformers
(CPU torch) on the model's Hugging Face export, tokenized by the export's own tokenizer.json, and
the daemon's ``evaluate`` for the rolling log-likelihood. The literal ``lm_eval --model cfsp``
command runs in a fresh interpreter that never imports cfsp itself (the start-up hook of
``cfsp_lm_eval.pth``, ``_cfsp_lm_eval_hook``, registers the model), and ``python -m cfsp.lm_eval``
with the hook disabled."""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import textwrap
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import pytest

import lm_eval
from lm_eval import utils as lm_utils
from lm_eval.tasks import TaskManager

import cfsp.lm_eval  # noqa: F401  (registers the model)
from cfsp import Client
from cfsp.lm_eval import CfspLM

TASKS = Path(__file__).resolve().parent / "lm_eval_tasks"
CLIENT = Path(__file__).resolve().parents[1]  # clients/python: the working tree's cfsp and hook
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


def fresh_env(hook: bool = True, path: Optional[Sequence[Path]] = None) -> Dict[str, str]:
    """The environment of a fresh interpreter that imports the working tree's ``cfsp`` and
    ``_cfsp_lm_eval_hook`` (PYTHONPATH comes before site-packages, where the installed
    ``cfsp_lm_eval.pth`` names the hook), with the hook on or disabled."""
    env = dict(os.environ)
    env.pop("CFSP_NO_LM_EVAL_HOOK", None)
    if not hook:
        env["CFSP_NO_LM_EVAL_HOOK"] = "1"
    entries = [str(p) for p in (path or [])] + [str(CLIENT)]
    env["PYTHONPATH"] = os.pathsep.join(entries + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
    return env


def fresh_python(code: str, hook: bool = True, path: Optional[Sequence[Path]] = None) -> List[str]:
    """Runs ``code`` in a fresh interpreter (site-packages' .pth files processed as at any
    start-up); its stdout lines. Fails on a non-zero exit or anything on stderr."""
    completed = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
                               timeout=120, cwd=str(TASKS), env=fresh_env(hook, path))
    assert completed.returncode == 0, completed.stderr[-3000:]
    assert completed.stderr == "", completed.stderr[-3000:]
    return completed.stdout.split()


@pytest.fixture(scope="module")
def hook_installed() -> None:
    """Fails (rather than skips) when site-packages has no ``cfsp_lm_eval.pth``: the client is
    installed without it (an install from before the hook), so ``lm_eval --model cfsp`` cannot
    work; ``pip install ./clients/python`` installs it, as .ci/run does."""
    (imported,) = fresh_python("import sys; print('_cfsp_lm_eval_hook' in sys.modules)")
    assert imported == "True", ("cfsp_lm_eval.pth is not installed in site-packages: "
                                "run `pip install ./clients/python` (the hook makes `lm_eval --model cfsp` work)")


def lm_eval_script() -> str:
    """The ``lm_eval`` console script of this interpreter's installation."""
    candidate = Path(sysconfig.get_path("scripts")) / "lm_eval"
    if candidate.is_file():
        return str(candidate)
    found = shutil.which("lm_eval")
    assert found, "lm-eval's `lm_eval` command is not installed (pip install lm_eval==0.4.13)"
    return found


def run_tasks(command: List[str], cfspd: str, tiny_model: str, output: Path, hook: bool) -> Dict[str, Dict[str, float]]:
    """lm-eval's command line on the three local tasks (batches of 8, as ``evaluation``: the
    command line's ``--batch_size``, which it always passes, so not in ``--model_args``); the
    results it wrote to ``output``."""
    completed = subprocess.run(
        [*command, "--model", "cfsp", "--model_args", f"model={tiny_model},daemon={cfspd}", "--batch_size", "8",
         "--tasks", *ALL_TASKS, "--include_path", str(TASKS), "--output_path", str(output)],
        capture_output=True, text=True, timeout=600, cwd=str(output), env=fresh_env(hook))
    assert completed.returncode == 0, completed.stderr[-3000:]
    written = list(output.rglob("results_*.json"))
    assert len(written) == 1, completed.stdout[-2000:]
    assert all(task in completed.stdout for task in ALL_TASKS), completed.stdout[-2000:]
    return json.loads(written[0].read_text())["results"]


def assert_same_figures(results: Dict[str, Dict[str, float]], evaluation) -> None:
    """Every figure of the three tasks as simple_evaluate computed them in this process."""
    expected = evaluation["results"]
    for task, metric in (("cfsp_mc", "acc,none"), ("cfsp_mc", "acc_norm,none"),
                         ("cfsp_rolling", "word_perplexity,none"), ("cfsp_rolling", "byte_perplexity,none"),
                         ("cfsp_rolling", "bits_per_byte,none"), ("cfsp_generate", "exact_match,none")):
        assert results[task][metric] == pytest.approx(expected[task][metric], rel=1e-9), (task, metric)


def test_the_lm_eval_command_finds_the_cfsp_model(hook_installed, cfspd: str, tiny_model: str, evaluation,
                                                 tmp_path: Path) -> None:
    # The literal `lm_eval --model cfsp ...`: nothing imports cfsp before lm-eval looks the model up.
    results = run_tasks([lm_eval_script()], cfspd, tiny_model, tmp_path, hook=True)
    assert_same_figures(results, evaluation)


def test_python_m_cfsp_lm_eval_runs_without_the_hook(cfspd: str, tiny_model: str, evaluation, tmp_path: Path) -> None:
    # The alternative command registers the model by importing cfsp.lm_eval, hook or no hook.
    results = run_tasks([sys.executable, "-m", "cfsp.lm_eval"], cfspd, tiny_model, tmp_path, hook=False)
    assert_same_figures(results, evaluation)


def test_simple_evaluate_finds_the_cfsp_model(hook_installed, cfspd: str, tiny_model: str, evaluation) -> None:
    # simple_evaluate(model="cfsp") in a fresh interpreter that imports lm_eval only.
    code = textwrap.dedent(f"""
        import json, sys
        import lm_eval
        from lm_eval.tasks import TaskManager
        before = 'cfsp' in sys.modules
        result = lm_eval.simple_evaluate(
            model="cfsp", model_args={f"model={tiny_model},daemon={cfspd}"!r}, batch_size=8, tasks=["cfsp_mc"],
            task_manager=TaskManager(include_path={str(TASKS)!r}, include_defaults=False))
        print(json.dumps([before, result["results"]["cfsp_mc"]]))
    """)
    completed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300,
                               cwd=str(TASKS), env=fresh_env())
    assert completed.returncode == 0, completed.stderr[-3000:]
    before, results = json.loads(completed.stdout.strip().splitlines()[-1])
    assert before is False, "cfsp was imported before lm-eval looked the model up"
    for metric in ("acc,none", "acc_norm,none"):
        assert results[metric] == pytest.approx(evaluation["results"]["cfsp_mc"][metric], rel=1e-9)


def test_the_start_up_hook_imports_neither_lm_eval_nor_cfsp(hook_installed) -> None:
    lines = fresh_python("""
        import sys
        print('lm_eval' in sys.modules, 'cfsp' in sys.modules, '_cfsp_lm_eval_hook' in sys.modules,
              any(type(f).__name__ == '_Finder' for f in sys.meta_path))
    """)
    assert lines == ["False", "False", "True", "True"]


def test_the_hook_registers_a_placeholder_beside_the_built_in_models(hook_installed) -> None:
    lines = fresh_python("""
        import sys
        from lm_eval.api.registry import get_model, model_registry
        print(len(model_registry))  # empty until lm_eval.models is imported
        dummy = get_model('dummy')  # imports lm_eval.models, as lm-eval does on the first look-up
        print(dummy.__name__, model_registry._objs['cfsp'], 'cfsp' in sys.modules,
              any(type(f).__name__ == '_Finder' for f in sys.meta_path))
        cls = get_model('cfsp')
        print(cls.__module__ + ':' + cls.__name__, model_registry._objs['cfsp'] is cls)
        import lm_eval.models, inspect
        print(type(lm_eval.models.__loader__).__name__, 'MODEL_MAPPING' in inspect.getsource(lm_eval.models))
    """)
    assert lines == ["0",
                     "DummyLM", "cfsp.lm_eval:CfspLM", "False", "False",
                     "cfsp.lm_eval:CfspLM", "True",
                     "SourceFileLoader", "True"]


def test_the_environment_variable_disables_the_hook(hook_installed) -> None:
    lines = fresh_python("""
        import sys
        from lm_eval.api.registry import get_model, model_registry
        get_model('dummy')
        print(any(type(f).__name__ == '_Finder' for f in sys.meta_path), 'cfsp' in model_registry)
        try:
            get_model('cfsp')
        except ValueError:
            print('unknown')
    """, hook=False)
    assert lines == ["False", "False", "unknown"]


def test_a_registry_of_another_shape_is_left_alone_silently(hook_installed, tmp_path: Path) -> None:
    # A stand-in lm_eval (first on the path) whose registry has no 0.4.x `register(alias, target=)`:
    # importing lm_eval.models works and prints nothing (fresh_python fails on any stderr).
    package = tmp_path / "lm_eval"
    (package / "api").mkdir(parents=True)
    (package / "models").mkdir()
    (package / "__init__.py").write_text("")
    (package / "api" / "__init__.py").write_text("")
    (package / "api" / "registry.py").write_text(
        "class Registry:\n"
        "    def __contains__(self, name): return False\n"
        "    def register(self, *names): raise TypeError('no target= here')\n"
        "model_registry = Registry()\n")
    (package / "models" / "__init__.py").write_text("MODELS = {'other': 'x:y'}\n")
    lines = fresh_python("""
        import lm_eval.models, sys
        print(lm_eval.models.MODELS['other'], any(type(f).__name__ == '_Finder' for f in sys.meta_path))
    """, path=[tmp_path])
    assert lines == ["x:y", "False"]
    (package / "models" / "__init__.py").write_text("raise RuntimeError('broken models')\n")
    completed = subprocess.run([sys.executable, "-c", "import lm_eval.models"], capture_output=True, text=True,
                               timeout=60, env=fresh_env(path=[tmp_path]))
    assert completed.returncode == 1 and "RuntimeError: broken models" in completed.stderr, \
        "the module's own error propagates unchanged"


def test_register_after_import_keeps_the_class(hook_installed) -> None:
    # cfsp.lm_eval imported first (its @register_model put the class in): the hook's register()
    # must neither replace it by the placeholder nor raise lm-eval's collision error.
    lines = fresh_python("""
        import cfsp.lm_eval, _cfsp_lm_eval_hook
        from lm_eval.api.registry import model_registry
        print(_cfsp_lm_eval_hook.register(), model_registry._objs['cfsp'] is cfsp.lm_eval.CfspLM)
    """)
    assert lines == ["True", "True"]
