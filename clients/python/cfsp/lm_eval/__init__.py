"""An lm-evaluation-harness model that runs through ``cfspd``, so the harness's zero-shot tasks
(the CFSP paper's PIQA, HellaSwag, WinoGrande, ARC, ...) score a pruned model as cfsp runs it.

After ``pip install ./clients/python`` (or ``pip install -e``), lm-eval's own command knows the
model as ``cfsp`` (lm-eval 0.4.x)::

    lm_eval --model cfsp --model_args model=pruned.gguf --tasks piqa

lm-eval has no plugin entry points: it knows the models of ``lm_eval.models`` and those registered
by an imported module. So the package installs ``cfsp_lm_eval.pth`` at the root of site-packages,
whose one line imports the start-up hook ``_cfsp_lm_eval_hook`` (a top-level module that imports
neither lm_eval nor cfsp): once ``lm_eval.models`` is imported, which lm-eval does on its first
model look-up, the hook registers ``cfsp`` as the lazy placeholder ``"cfsp.lm_eval:CfspLM"``, and
lm-eval imports this module only when the ``cfsp`` model is asked for (the ``@register_model``
below then replaces the placeholder by the class). The hook does nothing when lm-eval is absent or
its registry is not 0.4.x's; ``CFSP_NO_LM_EVAL_HOOK=1`` disables it.

Importing this module registers the model too, hook or no hook: ``python -m cfsp.lm_eval`` is
lm-eval's command line (every option of ``lm_eval``) with the model registered first, and
``cfsp-lm-eval`` is the same command installed as a script. From Python::

    import lm_eval
    lm_eval.simple_evaluate(model="cfsp", model_args="model=pruned.gguf", tasks=["piqa"])

(``import cfsp.lm_eval`` first where the hook is disabled.)

``--model_args`` (comma-separated ``key=value``):

- ``model``: a .gguf file or Hugging Face folder to load, or the handle of a model the daemon
  already holds (``m2``, say a pruned model, with ``socket``);
- ``socket``: a running daemon's Unix socket (``cfspd serve --socket PATH``) instead of a private
  daemon spawned for the run; ``daemon``: the ``cfspd`` executable to spawn (default
  ``$CFSPD`` or ``PATH``); ``threads``: its compute threads;
- ``precision``: ``f32`` or ``bf16`` weights in memory;
- ``batch_size``: requests per daemon call (lm-eval's ``--batch_size``, which its command line
  always passes, so give it there rather than here; ``auto`` is 64);
- ``max_length``: the longest sequence scored (default the model's context length);
- ``add_bos_token``: whether a context starts with the BOS (default: as the model's tokenizer
  says, so Gemma's does and SmolLM2's does not);
- ``max_gen_toks``: the generation limit when a task gives none (256); ``seed``: the sampler's
  seed when a task samples (1234).

How requests are scored, as lm-eval's Hugging Face model scores them: ``loglikelihood`` encodes
context + continuation whole and splits at the context's length (trailing spaces of the context
go to the continuation), an empty context becomes the prefix token (the BOS, else the EOS), and a
context too long for ``max_length`` loses its first tokens; the daemon's ``loglikelihood`` method
gives the log-probability and whether the continuation is greedy. ``loglikelihood_rolling`` cuts
the document's tokens (no BOS of its own: the prefix token is the BOS) into lm-eval's disjoint
windows of ``max_length`` and sums their log-likelihoods. ``generate_until`` runs the daemon's
greedy ``generate`` (sampling when a task asks ``do_sample``) from the context's tokens, stopping
at the task's ``until`` strings or the model's end of turn.
"""

from __future__ import annotations

import os
import sys
from typing import Any, Dict, List, Optional, Sequence, Tuple

from lm_eval.api.model import TemplateLM
from lm_eval.api.registry import register_model
from lm_eval import utils as lm_utils
from lm_eval.models.utils import handle_stop_sequences, normalize_gen_kwargs

from ..client import Client

try:
    from tqdm import tqdm
except ImportError:  # pragma: no cover - lm_eval depends on tqdm
    def tqdm(iterable: Any = None, **_: Any) -> Any:  # type: ignore[misc]
        return iterable

#: Requests per daemon call when lm-eval's batch size is ``auto``.
AUTO_BATCH = 64


def _flag(value: Any) -> Optional[bool]:
    """A model_args boolean (``True``, ``"false"``, ``1``...), or None when not given."""
    if value is None or isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"expected true or false, got {value!r}")


@register_model("cfsp")
class CfspLM(TemplateLM):
    """lm-eval's ``cfsp`` model: a model held by ``cfspd``, scored and run by the daemon.

    Pass ``client`` (a ``cfsp.Client``) to use a connection you already have, e.g. with a pruned
    model's handle as ``model``; otherwise the model spawns a daemon (or connects to ``socket``),
    loads ``model`` and closes what it opened when garbage-collected or ``close()``\\ d."""

    def __init__(self, model: str, socket: Optional[str] = None, daemon: Optional[str] = None,
                 threads: Optional[int] = None, precision: Optional[str] = None, batch_size: Any = 1,
                 max_batch_size: Optional[int] = None, max_length: Optional[int] = None,
                 add_bos_token: Any = None, max_gen_toks: int = 256, seed: int = 1234,
                 client: Optional[Client] = None, device: Optional[str] = None, **unused: Any) -> None:
        super().__init__()
        self._owns_client = client is None
        if client is None:
            if socket:
                client = Client.connect(socket, show_progress=False, client_name="cfsp-lm-eval")
            else:
                args = ["--threads", str(int(threads))] if threads is not None else []
                client = Client.spawn(daemon, args=args, show_progress=False, client_name="cfsp-lm-eval")
        self.client = client
        self._owns_model = False
        held = {m.model: m for m in client.list_models()}
        if str(model) in held:
            info = held[str(model)]
        else:
            path = os.path.abspath(os.path.expanduser(str(model)))
            info = client.load_model(path, precision=precision, progress=False)
            self._owns_model = True
        if not info.has_tokenizer:
            raise ValueError(f"model {model!r} has no tokenizer: lm-eval tasks are text, and cfsp needs the "
                             "model's tokenizer to turn them into tokens")
        self.info = info
        self.handle = info.model
        self._bos = info.bos_token
        self._eos = info.eos_token
        if self._bos is None and self._eos is None:
            raise ValueError(f"model {model!r} has neither a BOS nor an EOS token to condition an empty context on")
        self.add_bos_token = _flag(add_bos_token)
        if self.add_bos_token is None:
            self.add_bos_token = bool(info.adds_bos)
        context_length = int(info.config.get("contextLength", 2048))
        self._max_length = min(int(max_length), context_length) if max_length else context_length
        self.max_gen_toks = int(max_gen_toks)
        self.seed = int(seed)
        if batch_size in (None, "auto") or str(batch_size).startswith("auto"):
            self.batch_size = AUTO_BATCH
        else:
            self.batch_size = max(1, int(batch_size))
        if max_batch_size:
            self.batch_size = min(self.batch_size, int(max_batch_size))

    # -- lm-eval's tokenizer interface -------------------------------------------------------------

    @property
    def eot_token_id(self) -> int:
        """The model's EOS (its BOS when it has no EOS)."""
        return self._eos if self._eos is not None else self._bos  # type: ignore[return-value]

    @property
    def prefix_token_id(self) -> int:
        """What an empty context is: the BOS, else the EOS (as lm-eval's HF model)."""
        return self._bos if self._bos is not None else self.eot_token_id

    @property
    def max_length(self) -> int:
        """The longest sequence one pass scores."""
        return self._max_length

    @property
    def tokenizer_name(self) -> str:
        return f"cfsp:{self.info.path}"

    def tok_encode(self, string: str, add_special_tokens: Optional[bool] = None, **kwargs: Any) -> List[int]:
        """The model's own tokenizer (the daemon's ``tokenize``); the BOS in front when
        ``add_special_tokens`` (default: ``add_bos_token``)."""
        add = self.add_bos_token if add_special_tokens is None else add_special_tokens
        return self.client.tokenize(self.handle, string, add_special=bool(add))

    def tok_decode(self, tokens: Sequence[int], skip_special_tokens: bool = True) -> str:
        return self.client.detokenize(self.handle, list(tokens), skip_special=skip_special_tokens)

    # -- scoring ---------------------------------------------------------------------------------

    def _score(self, pairs: List[Tuple[List[int], List[int]]], disable_tqdm: bool, what: str) -> List[Tuple[float, bool]]:
        """(log-likelihood, is_greedy) of each (context ids, continuation ids), batch by batch."""
        out: List[Tuple[float, bool]] = []
        batches = range(0, len(pairs), self.batch_size)
        for start in tqdm(batches, desc=f"cfsp {what}", disable=disable_tqdm or len(batches) <= 1):
            scores = self.client.loglikelihood(self.handle, pairs[start:start + self.batch_size], progress=False)
            out.extend((s.log_likelihood, s.is_greedy) for s in scores)
        return out

    def _loglikelihood_tokens(self, requests: List[Tuple[Any, List[int], List[int]]], disable_tqdm: bool = False,
                              **kwargs: Any) -> List[Tuple[float, bool]]:
        """lm-eval's token-level requests ``((context, continuation), context_ids, continuation_ids)``;
        a context longer than ``max_length`` allows loses its first tokens."""
        pairs = []
        for _, context, continuation in requests:
            room = max(self.max_length + 1 - len(continuation), 1)
            pairs.append((list(context)[-room:], list(continuation)))
        results = self._score(pairs, disable_tqdm, "loglikelihood")
        for (key, _, _), result in zip(requests, results):
            if key is not None:
                self.cache_hook.add_partial("loglikelihood", key, result)
        return results

    def rolling_windows(self, string: str) -> List[Tuple[List[int], List[int]]]:
        """lm-eval's disjoint windows of a document: (context ids, continuation ids) whose
        continuations cover every token once, the first after the prefix token."""
        tokens = self.tok_encode(string, add_special_tokens=False)
        windows = lm_utils.get_rolling_token_windows(
            token_list=tokens, prefix_token=self.prefix_token_id, max_seq_len=self.max_length, context_len=1)
        return [lm_utils.make_disjoint_window(w) for w in windows]

    def loglikelihood_rolling(self, requests: List[Any], disable_tqdm: bool = False) -> List[float]:
        """The whole document's log-likelihood: the sum over its windows."""
        windows: List[Tuple[List[int], List[int]]] = []
        counts: List[int] = []
        for request in requests:
            document = self.rolling_windows(request.args[0])
            windows.extend(document)
            counts.append(len(document))
        scores = self._score(windows, disable_tqdm, "loglikelihood_rolling")
        totals: List[float] = []
        at = 0
        for request, count in zip(requests, counts):
            total = sum(score for score, _ in scores[at:at + count])
            at += count
            totals.append(total)
            self.cache_hook.add_partial("loglikelihood_rolling", (request.args[0],), total)
        return totals

    # -- generation ------------------------------------------------------------------------------

    def generate_until(self, requests: List[Any], disable_tqdm: bool = False) -> List[str]:
        """The daemon's ``generate`` from each context's tokens (cut from the start to leave room
        for the generation), ended at the task's ``until`` strings or the model's end of turn."""
        eos = self.tok_decode([self.eot_token_id], skip_special_tokens=False)
        out: List[str] = []
        for request in tqdm(requests, desc="cfsp generate_until", disable=disable_tqdm):
            context, gen_kwargs = request.args
            kwargs: Dict[str, Any] = dict(normalize_gen_kwargs(dict(gen_kwargs or {}), self.max_gen_toks))
            until = handle_stop_sequences(kwargs.pop("until", None), eos=eos)
            max_gen_toks = int(kwargs.pop("max_gen_toks"))
            if max_gen_toks >= self.max_length:
                raise ValueError(f"max_gen_toks {max_gen_toks} leaves no room for the context in {self.max_length} tokens")
            tokens = self.tok_encode(context)[-(self.max_length - max_gen_toks):]
            sampling = bool(kwargs.get("do_sample")) and float(kwargs.get("temperature") or 0) > 0
            options: Dict[str, Any] = {}
            if sampling:
                options = {"temperature": float(kwargs["temperature"]), "seed": self.seed}
                if kwargs.get("top_p") is not None:
                    options["top_p"] = float(kwargs["top_p"])
                if kwargs.get("top_k") is not None:
                    options["top_k"] = int(kwargs["top_k"])
            generation = self.client.generate(self.handle, tokens=tokens, max_tokens=max_gen_toks,
                                              stop=[s for s in until if s], **options)
            text = generation.text
            for term in until:
                if term:
                    text = text.split(term)[0]
            out.append(text)
            self.cache_hook.add_partial("generate_until", (context, gen_kwargs), text)
        return out

    # -- lifetime --------------------------------------------------------------------------------

    def get_model_info(self) -> Dict[str, Any]:
        """What lm-eval records of the model in its results."""
        return {"model_path": self.info.path, "model_handle": self.handle, "architecture": self.info.architecture,
                "parameters": self.info.parameters, "ffn_widths": self.info.config.get("intermediateSizes")}

    def close(self) -> None:
        """Unloads a model this object loaded and closes a daemon connection it opened."""
        client, self.client = getattr(self, "client", None), None  # type: ignore[assignment]
        if client is None:
            return
        try:
            if self._owns_model and not self._owns_client:
                client.unload_model(self.handle)
        finally:
            if self._owns_client:
                client.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:
            pass
