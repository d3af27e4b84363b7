"""The cfspd client: JSON-RPC over a child's stdio or a Unix socket, a reader thread that
dispatches responses by id (so several requests may be in flight), progress through callbacks or
tqdm, and Ctrl-C that cancels the running request on the daemon."""

from __future__ import annotations

import itertools
import json
import os
import queue
import threading
from typing import Any, Callable, Dict, Iterable, Iterator, List, Optional, Sequence, Union

from . import framing as framing_mod
from .errors import ConnectionClosed, CfspError, RequestCancelled, error_from_response
from .progress import ProgressCallback, ProgressEvent, TqdmProgress, tqdm_available
from .results import (Calibration, ContinuationScore, Evaluation, ExportResult, FinetuneResult, Generation, ModelInfo, PruneResult,
                      Released, RunResult, SavedCalibration, SweepResult, ScoreResult, ServerInfo, Unloaded,
                      from_json)
from .transport import (ProcessTransport, SocketTransport, Transport, default_socket_path,
                        find_daemon)

# ``progress=`` of each method: None (the client's default: tqdm when installed and enabled),
# False (nothing), True (tqdm), or a callable receiving each ProgressEvent.
ProgressOption = Union[None, bool, ProgressCallback]

ModelRef = Union[str, ModelInfo, PruneResult]
CalibrationRef = Union[str, Calibration]


def _model_handle(model: ModelRef) -> str:
    if isinstance(model, PruneResult):
        return model.pruned
    if isinstance(model, ModelInfo):
        return model.model
    return model


def _calibration_handle(calibration: CalibrationRef) -> str:
    if isinstance(calibration, Calibration):
        return calibration.calibration
    return calibration


#: The keyword options of ``score`` and ``prune`` and their wire names (members of the params of
#: ``score``; tests/test_schema.py checks them against protocol.schema.json).
PRUNING_OPTIONS: Dict[str, str] = {
    "method": "method", "block_metric": "blockMetric", "temperature": "temperature", "scale": "scale",
    "down_exponent": "downExponent", "activation_exponent": "activationExponent", "align": "align",
    "uniform_widths": "uniformWidths", "budget_rule": "budgetRule", "compensation": "compensation",
    "damping": "damping", "structures": "structures", "target": "target",
}


def _compact(params: Dict[str, Any]) -> Dict[str, Any]:
    return {k: v for k, v in params.items() if v is not None}


class PendingRequest:
    """A request in flight: wait with ``result()``, stop it with ``cancel()``."""

    def __init__(self, client: "Client", request_id: int, method: str):
        self.id = request_id
        self.method = method
        self._client = client
        self._done = threading.Event()
        self._result: Any = None
        self._error: Optional[BaseException] = None
        self._on_finish: Optional[Callable[[], None]] = None

    def _finish(self, result: Any = None, error: Optional[BaseException] = None) -> None:
        self._result, self._error = result, error
        if self._on_finish is not None:
            self._on_finish()
        self._done.set()

    def done(self) -> bool:
        """True once the daemon answered (or the connection closed)."""
        return self._done.is_set()

    def cancel(self) -> None:
        """Sends ``$/cancelRequest``; the request then ends with ``RequestCancelled`` (-32800),
        unless it finished first."""
        if not self.done():
            self._client._notify("$/cancelRequest", {"id": self.id})

    def result(self, timeout: Optional[float] = None) -> Any:
        """Waits for the answer and returns the raw JSON result, or raises the typed error.

        A KeyboardInterrupt while waiting cancels the request on the daemon, waits for its answer
        (a second Ctrl-C stops waiting), then re-raises KeyboardInterrupt."""
        try:
            self._wait(timeout)
        except KeyboardInterrupt:
            self.cancel()
            try:
                self._wait(self._client.cancel_timeout)
            finally:
                raise KeyboardInterrupt from None
        if self._error is not None:
            raise self._error
        return self._result

    def _wait(self, timeout: Optional[float]) -> None:
        # Short waits in a loop keep the main thread responsive to Ctrl-C on every platform.
        remaining = timeout
        while not self._done.wait(0.1 if remaining is None else min(0.1, remaining)):
            if remaining is not None:
                remaining -= 0.1
                if remaining <= 0:
                    raise TimeoutError(f"{self.method} (request {self.id}) did not answer in time")


class Client:
    """A connection to ``cfspd``. Make one with ``Client.spawn()`` or ``Client.connect()``; use it as
    a context manager (or call ``close()``) so the daemon sees ``shutdown`` and ``exit``.

    Methods are thread-safe: several threads may each run a request at the same time, or use
    ``submit()`` for raw requests in flight."""

    #: Seconds to wait for the daemon's answer after a cancellation.
    cancel_timeout: float = 30.0

    def __init__(self, transport: Transport, framing: str = framing_mod.CONTENT_LENGTH,
                 show_progress: bool = True, client_name: str = "cfsp-python"):
        if framing not in framing_mod.FRAMINGS:
            raise ValueError(f"framing must be one of {framing_mod.FRAMINGS}, not {framing!r}")
        self._transport = transport
        self._framing = framing
        self.show_progress = show_progress
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._pending: Dict[int, PendingRequest] = {}
        self._progress: Dict[str, ProgressCallback] = {}
        self._closed = False
        self._reader = threading.Thread(target=self._read_loop, name="cfsp-reader", daemon=True)
        self._reader.start()
        try:
            result = self.request("initialize", {"clientInfo": {"name": client_name},
                                                 "processId": os.getpid()}, progress=False)
            self._notify("initialized", {})
        except BaseException:
            transport.close()
            raise
        info = result.get("serverInfo", {}) if isinstance(result, dict) else {}
        self.server = ServerInfo(name=info.get("name", ""), version=info.get("version", ""),
                                 capabilities=dict(result.get("capabilities", {})))

    # -- construction ---------------------------------------------------------------------------

    @classmethod
    def spawn(cls, daemon_path: Optional[str] = None, args: Sequence[str] = (),
              framing: str = framing_mod.CONTENT_LENGTH, **kwargs: Any) -> "Client":
        """Starts a private ``cfspd`` serving on its stdio (found at ``daemon_path``, ``$CFSPD`` or
        on ``PATH``); it stops when the client closes."""
        executable = find_daemon(daemon_path)
        argv = [executable, "serve", "--framing", framing, *args]
        return cls(ProcessTransport(argv), framing=framing, **kwargs)

    @classmethod
    def connect(cls, path: Optional[str] = None, framing: str = framing_mod.CONTENT_LENGTH,
                **kwargs: Any) -> "Client":
        """Connects to a running daemon's Unix socket (default ``$XDG_RUNTIME_DIR/cfsp.sock``,
        else ``/tmp/cfsp-$UID.sock``); raises ``DaemonNotRunning`` when nobody listens there."""
        return cls(SocketTransport(path or default_socket_path()), framing=framing, **kwargs)

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # -- wire -----------------------------------------------------------------------------------

    def _send(self, message: Dict[str, Any]) -> None:
        data = framing_mod.encode(message, self._framing)
        with self._write_lock:
            if self._closed:
                raise ConnectionClosed("the client is closed")
            try:
                self._transport.write(data)
            except OSError as error:
                raise ConnectionClosed(self._closed_message(f"cannot write to the daemon ({error})")) from None

    def _notify(self, method: str, params: Dict[str, Any]) -> None:
        try:
            self._send({"jsonrpc": "2.0", "method": method, "params": params})
        except ConnectionClosed:
            pass  # a notification to a daemon that went away has nobody to reach

    def _closed_message(self, what: str) -> str:
        words = self._transport.last_words()
        return f"{what}; the daemon stopped or closed the connection" + (f" ({words})" if words else "")

    def _read_loop(self) -> None:
        reason = "the daemon closed the connection"
        try:
            while True:
                body = framing_mod.read_message(self._transport.reader, self._framing)
                if body is None:
                    break
                try:
                    message = json.loads(body)
                except ValueError:
                    continue
                if isinstance(message, dict):
                    self._dispatch(message)
        except (OSError, ValueError, framing_mod.FramingError) as error:
            reason = f"reading from the daemon failed: {error}"
        with self._lock:
            pending = list(self._pending.values())
            self._pending.clear()
        for request in pending:
            request._finish(error=ConnectionClosed(self._closed_message(
                f"{request.method} (request {request.id}) got no answer: {reason}")))

    def _dispatch(self, message: Dict[str, Any]) -> None:
        if "method" not in message:
            request_id = message.get("id")
            with self._lock:
                request = self._pending.pop(request_id, None) if isinstance(request_id, int) else None
            if request is None:
                return
            if "error" in message and isinstance(message["error"], dict):
                request._finish(error=error_from_response(message["error"], request.method))
            else:
                request._finish(result=message.get("result"))
            return
        if message["method"] == "$/progress":
            params = message.get("params") or {}
            callback = self._progress.get(str(params.get("token")))
            if callback is not None:
                try:
                    callback(ProgressEvent.from_params(params))
                except Exception:  # a faulty callback must not stop the reader
                    pass
            return
        if "id" in message:  # the daemon asked us something we do not serve
            self._notify_response_error(message["id"], message["method"])

    def _notify_response_error(self, request_id: Any, method: str) -> None:
        try:
            self._send({"jsonrpc": "2.0", "id": request_id,
                        "error": {"code": -32601, "message": f"the client does not serve '{method}'"}})
        except ConnectionClosed:
            pass

    # -- requests -------------------------------------------------------------------------------

    def _progress_callback(self, method: str, progress: ProgressOption) -> Optional[ProgressCallback]:
        if callable(progress):
            return progress
        if progress is False or (progress is None and not self.show_progress):
            return None
        return TqdmProgress(method) if tqdm_available() else None

    def submit(self, method: str, params: Optional[Dict[str, Any]] = None,
               progress: ProgressOption = None) -> PendingRequest:
        """Sends a request without waiting; returns its ``PendingRequest``."""
        request_id = next(self._ids)
        request = PendingRequest(self, request_id, method)
        payload = dict(params or {})
        callback = self._progress_callback(method, progress)
        token = f"py-{request_id}"
        if callback is not None:
            payload["workDoneToken"] = token
            self._progress[token] = callback
            request._on_finish = lambda: self._progress.pop(token, None) and None
        with self._lock:
            self._pending[request_id] = request
        try:
            self._send({"jsonrpc": "2.0", "id": request_id, "method": method, "params": payload})
        except ConnectionClosed as error:
            with self._lock:
                self._pending.pop(request_id, None)
            request._finish(error=error)
        return request

    def request(self, method: str, params: Optional[Dict[str, Any]] = None,
                progress: ProgressOption = None, timeout: Optional[float] = None) -> Any:
        """Sends a request and waits for its raw JSON result (Ctrl-C cancels it on the daemon)."""
        return self.submit(method, params, progress).result(timeout)

    def close(self) -> None:
        """Sends ``shutdown`` and ``exit`` and closes the connection (a spawned daemon stops)."""
        if self._closed:
            return
        try:
            self.submit("shutdown", None, progress=False).result(timeout=10)
        except (CfspError, TimeoutError):
            pass
        self._notify("exit", {})
        with self._write_lock:
            self._closed = True
        self._transport.close()
        self._reader.join(timeout=5)

    # -- the daemon's methods -------------------------------------------------------------------

    def load_model(self, path: str, precision: Optional[str] = None,
                   progress: ProgressOption = None) -> ModelInfo:
        """``model/load``: loads a GGUF file or Hugging Face folder; returns its ``ModelInfo``."""
        return from_json(ModelInfo, self.request("model/load", _compact(
            {"path": os.fspath(path), "precision": precision}), progress))

    def list_models(self) -> List[ModelInfo]:
        """``model/list``: every model the daemon holds, in handle order."""
        result = self.request("model/list", {}, progress=False)
        return [from_json(ModelInfo, m) for m in (result or {}).get("models", [])]

    def describe_model(self, model: ModelRef) -> ModelInfo:
        """``model/describe``."""
        return from_json(ModelInfo, self.request("model/describe", {"model": _model_handle(model)},
                                                 progress=False))

    def unload_model(self, model: ModelRef) -> Unloaded:
        """``model/unload``: frees the model (refused with ``ModelBusy`` while jobs run on it)."""
        return from_json(Unloaded, self.request("model/unload", {"model": _model_handle(model)},
                                                progress=False))

    @staticmethod
    def _text_input(text: Optional[str], path: Optional[str], tokens: Optional[Sequence[int]],
                    windows: Optional[Sequence[Sequence[int]]], format: Optional[str],
                    field: Optional[str], separator: Optional[str]) -> Dict[str, Any]:
        return _compact({"text": text, "path": os.fspath(path) if path is not None else None,
                         "tokens": list(tokens) if tokens is not None else None,
                         "windows": [list(w) for w in windows] if windows is not None else None,
                         "format": format, "field": field, "separator": separator})

    def calibrate(self, model: ModelRef, *, text: Optional[str] = None, path: Optional[str] = None,
                  tokens: Optional[Sequence[int]] = None,
                  windows: Optional[Sequence[Sequence[int]]] = None, count: Optional[int] = None,
                  window_size: Optional[int] = None, seed: Optional[int] = None,
                  starts: Optional[Iterable[int]] = None, block_metric: Optional[str] = None,
                  gram: Optional[bool] = None,
                  format: Optional[str] = None, field: Optional[str] = None,
                  separator: Optional[str] = None, progress: ProgressOption = None) -> Calibration:
        """``calibrate``: gathers block importance and activation statistics over windows of one
        text input (``text``, ``path``, ``tokens`` or ``windows``). ``gram=False`` skips the FFN
        Gram matrices (less memory and time; prune then needs ``compensation="none"``)."""
        params = {"model": _model_handle(model),
                  **self._text_input(text, path, tokens, windows, format, field, separator),
                  **_compact({"count": count, "windowSize": window_size, "seed": seed,
                              "starts": list(starts) if starts is not None else None,
                              "blockMetric": block_metric, "gram": gram})}
        return from_json(Calibration, self.request("calibrate", params, progress))

    def save_calibration(self, calibration: CalibrationRef, path: str,
                         overwrite: bool = False) -> SavedCalibration:
        """``calibration/save``: writes the statistics to a JSON file."""
        return from_json(SavedCalibration, self.request("calibration/save", {
            "calibration": _calibration_handle(calibration), "path": os.fspath(path),
            "overwrite": overwrite}, progress=False))

    def load_calibration(self, path: str, model: Optional[ModelRef] = None) -> Calibration:
        """``calibration/load``: reads statistics saved earlier (checked against ``model`` if given)."""
        return from_json(Calibration, self.request("calibration/load", _compact({
            "path": os.fspath(path), "model": _model_handle(model) if model is not None else None}),
            progress=False))

    def merge_calibrations(self, calibrations: Optional[Sequence[CalibrationRef]] = None,
                           paths: Optional[Sequence[str]] = None, model: Optional[ModelRef] = None,
                           block_metric: Optional[str] = None) -> Calibration:
        """``calibration/merge``: a new calibration whose statistics are the sums of ``calibrations``
        (handles) and then of the files ``paths`` (written by ``save_calibration``), as if one
        ``calibrate`` had run over all their windows. They must share the model's shape, the window
        size and the ``gram`` setting (else ``CalibrationMismatch``); the same windows given twice
        count twice. With ``model`` the result is checked against it and recorded as its."""
        return from_json(Calibration, self.request("calibration/merge", _compact({
            "calibrations": [_calibration_handle(c) for c in calibrations] if calibrations is not None else None,
            "paths": [os.fspath(p) for p in paths] if paths is not None else None,
            "model": _model_handle(model) if model is not None else None,
            "blockMetric": block_metric}), progress=False))

    def release_calibration(self, calibration: CalibrationRef) -> Released:
        """``calibration/release``: frees the statistics."""
        return from_json(Released, self.request("calibration/release", {
            "calibration": _calibration_handle(calibration)}, progress=False))

    @staticmethod
    def _pruning_params(model: ModelRef, calibration: CalibrationRef, sparsity: float,
                        options: Dict[str, Any]) -> Dict[str, Any]:
        names = PRUNING_OPTIONS
        unknown = set(options) - set(names)
        if unknown:
            raise TypeError(f"unknown pruning option(s): {', '.join(sorted(unknown))}; "
                            f"expected {', '.join(sorted(names))}")
        return {"model": _model_handle(model), "calibration": _calibration_handle(calibration),
                "sparsity": sparsity, **_compact({names[k]: v for k, v in options.items()})}

    def score(self, model: ModelRef, calibration: CalibrationRef, sparsity: float,
              progress: ProgressOption = None, **options: Any) -> ScoreResult:
        """``score``: what each block would keep at ``sparsity``, without pruning. Options:
        method, block_metric, temperature, scale, down_exponent, activation_exponent, align
        (kept widths rounded to a multiple of it; default 64 for cfsp on FFNs at least 1024 wide,
        which makes the pruned model faster in llama.cpp, else 1), uniform_widths (the same width in every block: what qwen3 and gemma3 need to export GGUF),
        budget_rule ("per-token", the default, or "paper"), compensation ("none", "least-squares",
        "obs"; default least-squares for cfsp, none for the others), damping, structures (a list
        of "ffn", "attention", "depth"; default ["ffn"]) and target ("ffn-sparsity", the default,
        or "parameters": ``sparsity`` is then the share of all parameters to remove)."""
        return from_json(ScoreResult, self.request(
            "score", self._pruning_params(model, calibration, sparsity, options), progress))

    def prune(self, model: ModelRef, calibration: CalibrationRef, sparsity: float,
              progress: ProgressOption = None, **options: Any) -> PruneResult:
        """``prune``: builds the pruned model (a new handle in ``.pruned``); same options as score."""
        return from_json(PruneResult, self.request(
            "prune", self._pruning_params(model, calibration, sparsity, options), progress))

    def evaluate(self, model: ModelRef, *, text: Optional[str] = None, path: Optional[str] = None,
                 tokens: Optional[Sequence[int]] = None, window_size: Optional[int] = None,
                 max_windows: Optional[int] = None, format: Optional[str] = None,
                 field: Optional[str] = None, separator: Optional[str] = None,
                 progress: ProgressOption = None) -> Evaluation:
        """``evaluate``: perplexity over non-overlapping windows of one text input."""
        params = {"model": _model_handle(model),
                  **self._text_input(text, path, tokens, None, format, field, separator),
                  **_compact({"windowSize": window_size, "maxWindows": max_windows})}
        return from_json(Evaluation, self.request("evaluate", params, progress))

    def finetune(self, model: ModelRef, steps: int, *, text: Optional[str] = None,
                 path: Optional[str] = None, tokens: Optional[Sequence[int]] = None,
                 calibration: Optional[Any] = None, allocation: Optional[str] = None,
                 rank: Optional[int] = None, sequence_length: Optional[int] = None,
                 batch_size: Optional[int] = None, gradient_accumulation: Optional[int] = None,
                 learning_rate: Optional[float] = None, lora_plus_ratio: Optional[float] = None,
                 warmup_steps: Optional[int] = None,
                 seed: Optional[int] = None, time_budget_seconds: Optional[float] = None,
                 frozen_precision: Optional[str] = None, weight_decay: Optional[float] = None,
                 clip_norm: Optional[float] = None, min_rank: Optional[int] = None,
                 max_rank: Optional[int] = None, gamma: Optional[float] = None,
                 block_metric: Optional[str] = None, objective: Optional[str] = None,
                 teacher: Optional[ModelRef] = None, distillation_temperature: Optional[float] = None,
                 distillation_lm_weight: Optional[float] = None, format: Optional[str] = None,
                 field: Optional[str] = None, separator: Optional[str] = None,
                 progress: ProgressOption = None) -> FinetuneResult:
        """``finetune``: recovery fine-tuning with LoRA adapters merged into a new model.
        Interrupting keeps the adapters of the completed steps (the result says ``cancelled``).
        ``objective="distillation"`` trains towards ``teacher``'s next-token distributions (the
        dense model the pruned one came from) instead of the text's tokens.
        Options left at None take the daemon's defaults (protocol.md lists them)."""
        handle = calibration if calibration is None or isinstance(calibration, str) else calibration.calibration
        params = {"model": _model_handle(model), "steps": steps,
                  **self._text_input(text, path, tokens, None, format, field, separator),
                  **_compact({"calibration": handle, "allocation": allocation, "rank": rank,
                              "sequenceLength": sequence_length, "batchSize": batch_size,
                              "gradientAccumulation": gradient_accumulation,
                              "learningRate": learning_rate, "loraPlusRatio": lora_plus_ratio,
                              "warmupSteps": warmup_steps, "seed": seed,
                              "timeBudgetSeconds": time_budget_seconds,
                              "frozenPrecision": frozen_precision, "weightDecay": weight_decay,
                              "clipNorm": clip_norm, "minRank": min_rank, "maxRank": max_rank,
                              "gamma": gamma, "blockMetric": block_metric, "objective": objective,
                              "teacher": None if teacher is None else _model_handle(teacher),
                              "distillationTemperature": distillation_temperature,
                              "distillationLmWeight": distillation_lm_weight})}
        return from_json(FinetuneResult, self.request("finetune", params, progress))

    def export(self, model: ModelRef, path: str, format: str = "gguf",
               precision: Optional[str] = None, overwrite: bool = False, name: Optional[str] = None,
               progress: ProgressOption = None) -> ExportResult:
        """``export``: writes the model as GGUF (a file) or Hugging Face (a folder)."""
        return from_json(ExportResult, self.request("export", _compact({
            "model": _model_handle(model), "path": os.fspath(path), "format": format,
            "precision": precision, "overwrite": overwrite, "name": name}), progress))

    def run(self, model_path: str, *, text: Optional[str] = None, path: Optional[str] = None,
            tokens: Optional[Sequence[int]] = None, windows: Optional[Sequence[Sequence[int]]] = None,
            format: Optional[str] = None, field: Optional[str] = None, separator: Optional[str] = None,
            count: Optional[int] = None, window_size: Optional[int] = None, seed: Optional[int] = None,
            starts: Optional[Iterable[int]] = None, eval_text: Optional[str] = None,
            eval_path: Optional[str] = None, eval_tokens: Optional[Sequence[int]] = None,
            eval_format: Optional[str] = None, eval_field: Optional[str] = None,
            eval_separator: Optional[str] = None, eval_window_size: Optional[int] = None,
            max_windows: Optional[int] = None, sparsity: Optional[float] = None,
            load_precision: Optional[str] = None, export_path: Optional[str] = None,
            export_format: Optional[str] = None, export_precision: Optional[str] = None,
            export_name: Optional[str] = None, overwrite: bool = False, release: bool = False,
            streamed: bool = False, scratch: Optional[str] = None,
            progress: ProgressOption = None, **options: Any) -> RunResult:
        """``run``: the whole pipeline in one request: loads ``model_path``, calibrates on one text
        input (``text``, ``path``, ``tokens`` or ``windows``), evaluates the dense model, prunes
        (``sparsity``, default the daemon's, and the pruning options of ``prune``), evaluates the
        pruned model (on the ``eval_*`` input, by default the calibration input) and exports it
        when ``export_path`` is given. Options left at None take the daemon's defaults.

        ``streamed=True`` prunes a GGUF model that does not fit in memory: the daemon never loads
        it, but reads it one block at a time (calibration layer by layer, hidden states and Gram
        matrices in temporary files in ``scratch``, default the daemon's temporary folder), and
        writes the pruned GGUF block by block: the same file as without ``streamed``. Both
        evaluations are skipped (``dense_evaluation`` and ``pruned_evaluation`` are None), no
        model handle is made (``result.model.model`` and ``result.pruning.pruned`` are empty), and
        it needs ``export_path``, GGUF export and FFN-only pruning; no ``eval_*`` options."""
        pruning = self._pruning_params("", "", 0.0, options)
        for key in ("model", "calibration", "sparsity"):
            pruning.pop(key)
        params = {"modelPath": os.fspath(model_path),
                  **self._text_input(text, path, tokens, windows, format, field, separator),
                  **_compact({"count": count, "windowSize": window_size, "seed": seed,
                              "starts": list(starts) if starts is not None else None,
                              "evalText": eval_text,
                              "evalPath": os.fspath(eval_path) if eval_path is not None else None,
                              "evalTokens": list(eval_tokens) if eval_tokens is not None else None,
                              "evalFormat": eval_format, "evalField": eval_field,
                              "evalSeparator": eval_separator, "evalWindowSize": eval_window_size,
                              "maxWindows": max_windows, "sparsity": sparsity,
                              "loadPrecision": load_precision,
                              "exportPath": os.fspath(export_path) if export_path is not None else None,
                              "exportFormat": export_format, "exportPrecision": export_precision,
                              "exportName": export_name,
                              "streamed": True if streamed else None,
                              "scratch": os.fspath(scratch) if scratch is not None else None}),
                  "overwrite": overwrite, "release": release, **pruning}
        return RunResult.from_json(self.request("run", params, progress))

    def sweep(self, model: ModelRef, calibration: CalibrationRef, sparsities: Sequence[float],
              methods: Optional[Sequence[str]] = None, *, text: Optional[str] = None,
              path: Optional[str] = None, tokens: Optional[Sequence[int]] = None,
              format: Optional[str] = None, field: Optional[str] = None, separator: Optional[str] = None,
              window_size: Optional[int] = None, max_windows: Optional[int] = None,
              include_dense: bool = True, keep_models: bool = False, progress: ProgressOption = None,
              **options: Any) -> SweepResult:
        """``sweep``: from one calibration, prunes ``model`` to each of ``sparsities`` with each of
        ``methods`` (default the daemon's, cfsp) and evaluates each on one text input; the other
        pruning options (as ``prune``'s) are shared by every point. ``to_dataframe()`` gives one
        row per point, ``plot()`` perplexity against sparsity."""
        pruning = self._pruning_params(model, calibration, 0.0, options)
        pruning.pop("sparsity")
        params = {**pruning, "sparsities": list(sparsities),
                  **self._text_input(text, path, tokens, None, format, field, separator),
                  **_compact({"methods": list(methods) if methods is not None else None,
                              "windowSize": window_size, "maxWindows": max_windows}),
                  "includeDense": include_dense, "keepModels": keep_models}
        if "method" in options:
            raise TypeError("sweep takes methods=[...], not method=")
        return SweepResult.from_json(self.request("sweep", params, progress))

    # -- generation -----------------------------------------------------------------------------

    @staticmethod
    def _generate_params(model: ModelRef, prompt: Optional[str], path: Optional[str],
                         tokens: Optional[Sequence[int]], messages: Optional[Sequence[Dict[str, str]]],
                         chat_template: Optional[bool], max_tokens: Optional[int], temperature: Optional[float],
                         top_k: Optional[int], top_p: Optional[float], seed: Optional[int],
                         stop: Optional[Sequence[str]], stop_tokens: Optional[Sequence[int]]) -> Dict[str, Any]:
        return {"model": _model_handle(model), **_compact({
            "text": prompt, "path": os.fspath(path) if path is not None else None,
            "tokens": list(tokens) if tokens is not None else None,
            "messages": [dict(m) for m in messages] if messages is not None else None,
            "chatTemplate": chat_template, "maxTokens": max_tokens, "temperature": temperature, "topK": top_k,
            "topP": top_p, "seed": seed, "stop": list(stop) if stop is not None else None,
            "stopTokens": list(stop_tokens) if stop_tokens is not None else None})}

    def generate(self, model: ModelRef, prompt: Optional[str] = None, *, path: Optional[str] = None,
                 tokens: Optional[Sequence[int]] = None, messages: Optional[Sequence[Dict[str, str]]] = None,
                 chat_template: Optional[bool] = None, max_tokens: Optional[int] = None,
                 temperature: Optional[float] = None, top_k: Optional[int] = None, top_p: Optional[float] = None,
                 seed: Optional[int] = None, stop: Optional[Sequence[str]] = None,
                 stop_tokens: Optional[Sequence[int]] = None, stream: bool = False,
                 on_text: Optional[Callable[[str], None]] = None) -> Any:
        """``generate``: continues a prompt (text, a file on the daemon's machine, token ids, or chat
        ``messages`` rendered with the model's chat template; ``chat_template=True`` wraps a text
        prompt as one user message). Greedy unless ``temperature`` > 0; ``seed`` repeats a sampled run.

        Returns a ``Generation``; ``on_text`` sees each piece of text as it comes. With
        ``stream=True`` returns a ``GenerationStream`` instead: iterate it for the pieces.
        Options left at None take the daemon's defaults (protocol.md lists them)."""
        params = self._generate_params(model, prompt, path, tokens, messages, chat_template, max_tokens,
                                       temperature, top_k, top_p, seed, stop, stop_tokens)
        if stream:
            return GenerationStream(self, params)
        callback = None
        if on_text is not None:
            def callback(event: ProgressEvent) -> None:
                piece = event.fields.get("text")
                if event.kind == "report" and piece:
                    on_text(piece)
        return from_json(Generation, self.request("generate", params, callback if callback else False))

    def generate_stream(self, model: ModelRef, prompt: Optional[str] = None, **options: Any) -> "GenerationStream":
        """``generate`` as an iterator of text pieces (the same arguments as ``generate``): leaving
        the loop early cancels the generation on the daemon; ``.result`` holds the ``Generation``
        once the iteration ended."""
        return self.generate(model, prompt, stream=True, **options)

    def tokenize(self, model: ModelRef, text: str, add_special: bool = False) -> List[int]:
        """``tokenize``: the token ids of ``text`` (with the BOS the model expects when ``add_special``)."""
        result = self.request("tokenize", {"model": _model_handle(model), "text": text, "addSpecial": add_special},
                              progress=False)
        return list(result.get("tokens", []))

    def detokenize(self, model: ModelRef, tokens: Sequence[int], skip_special: bool = False) -> str:
        """``detokenize``: the text of token ids (control tokens left out with ``skip_special``)."""
        result = self.request("detokenize", {"model": _model_handle(model), "tokens": list(tokens),
                                             "skipSpecial": skip_special}, progress=False)
        return str(result.get("text", ""))

    #: Requests per ``loglikelihood`` call (the daemon takes at most 65536).
    loglikelihood_batch: int = 256

    def loglikelihood(self, model: ModelRef, requests: Iterable[Sequence[Sequence[int]]],
                      progress: ProgressOption = None) -> List[ContinuationScore]:
        """``loglikelihood``: for each ``(context_ids, continuation_ids)`` the sum of the
        continuation tokens' log-probabilities after the context (natural log) and whether
        greedy decoding gives the continuation. A context needs at least one token (lm-eval puts
        the BOS, or the EOS, there for an empty one); contexts too long for the model are cut from
        the start (``truncated_tokens``). Sent ``loglikelihood_batch`` requests per call."""
        pairs = [{"context": list(context), "continuation": list(continuation)} for context, continuation in requests]
        scores: List[ContinuationScore] = []
        for start in range(0, len(pairs), self.loglikelihood_batch):
            result = self.request("loglikelihood", {"model": _model_handle(model),
                                                    "requests": pairs[start:start + self.loglikelihood_batch]},
                                  progress)
            scores.extend(from_json(ContinuationScore, s) for s in (result or {}).get("scores", []))
        return scores


class GenerationStream:
    """The text pieces of one ``generate`` request as they come. Iterate it (once); breaking out of
    the loop, ``close()`` or a KeyboardInterrupt cancels the request on the daemon. ``result`` is
    the ``Generation`` after a complete iteration (None if it was cancelled)."""

    def __init__(self, client: Client, params: Dict[str, Any]):
        self._pieces: "queue.Queue[Optional[str]]" = queue.Queue()
        self.result: Optional[Generation] = None

        def on_progress(event: ProgressEvent) -> None:
            piece = event.fields.get("text")
            if event.kind == "report" and piece:
                self._pieces.put(piece)

        self._request = client.submit("generate", params, on_progress)
        previous = self._request._on_finish

        def finished() -> None:
            if previous is not None:
                previous()
            self._pieces.put(None)

        self._request._on_finish = finished
        if self._request.done():
            self._pieces.put(None)

    def __iter__(self) -> Iterator[str]:
        finished = False
        try:
            while True:
                try:
                    piece = self._pieces.get(timeout=0.1)
                except queue.Empty:
                    continue
                if piece is None:
                    break
                yield piece
            # Reports all arrive before the response; the result (or the request's error) follows.
            self.result = from_json(Generation, self._request.result())
            finished = True
        finally:
            if not finished:
                self.close()

    def close(self) -> None:
        """Cancels the generation if it is still running and waits for the daemon's answer."""
        if not self._request.done():
            self._request.cancel()
            try:
                self._request.result(self._request._client.cancel_timeout)
            except RequestCancelled:
                pass

