"""Calibration and sparsity sweeps spread over Ray tasks.

``calibrate_distributed`` draws the calibration windows once on the driver (the draw ``calibrate``
makes: Python's ``random.Random(seed)``, ``randint(0, n - S - 1)`` per window), splits them into
one contiguous share per task, and each Ray task starts its own ``cfspd`` (``Client.spawn``),
loads the model, calibrates its share as explicit windows, saves the statistics with
``calibration/save`` and returns the file's bytes through Ray's object store, then stops its
daemon. The driver writes the parts to temporary files and adds them up with
``calibration/merge`` in its own daemon: one calibration handle, the sums of every statistic.

Each share is one task whose result is fetched once, so a task Ray retries after its worker died
(``max_retries``) is counted once. ``sweep_distributed`` fans the sparsities of a sweep out the
same way, every task loading the model and one saved calibration.

Every node needs ``cfspd`` (on ``PATH``, ``$CFSPD`` or ``daemon_path``), this package, and the
model at ``model_path``; the text is tokenized on the driver and travels as token ids.
Ray is imported only when these functions run (``pip install ray``).
"""

from __future__ import annotations

import os
import random
import shutil
import socket
import tempfile
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Sequence, TypeVar

from .client import Client, ModelRef, _model_handle
from .results import Calibration, ModelInfo, SweepResult

T = TypeVar("T")


def draw_starts(token_count: int, window_size: int, count: int, seed: int) -> List[int]:
    """The window starts ``calibrate`` draws for ``count`` windows of ``window_size`` tokens in a
    stream of ``token_count`` tokens: ``random.Random(seed).randint(0, token_count - window_size - 1)``
    per window, as the daemon's CPython-compatible generator and the reference code do."""
    if window_size <= 0 or count < 0:
        raise ValueError(f"window_size must be positive and count not negative (got {window_size}, {count})")
    if token_count <= window_size:
        raise ValueError(f"{token_count} tokens are too few for windows of {window_size} tokens")
    rng = random.Random(seed)
    return [rng.randint(0, token_count - window_size - 1) for _ in range(count)]


def split(items: Sequence[T], parts: int) -> List[List[T]]:
    """``items`` in ``parts`` contiguous shares whose sizes differ by at most one (empty shares
    dropped), in order, so merging the shares in order adds the windows in their order."""
    if parts < 1:
        raise ValueError(f"parts must be at least 1, not {parts}")
    size, extra = divmod(len(items), parts)
    shares, start = [], 0
    for index in range(parts):
        end = start + size + (1 if index < extra else 0)
        if end > start:
            shares.append(list(items[start:end]))
        start = end
    return shares


def _spawn(daemon_path: Optional[str], threads: Optional[int]) -> Client:
    args = ["--log-level", "warning"] + (["--threads", str(threads)] if threads else [])
    return Client.spawn(daemon_path, args=args, show_progress=False)


def calibrate_share(model_path: str, windows: List[List[int]], *, share: int,
                    daemon_path: Optional[str] = None, threads: Optional[int] = None,
                    precision: Optional[str] = None, gram: Optional[bool] = None) -> Dict[str, Any]:
    """What one task runs: a private ``cfspd`` loads ``model_path``, calibrates ``windows`` and
    saves the statistics; returns the saved file's bytes (``statistics``) with the share's
    ``windows``, ``tokens``, ``seconds`` (calibration only), ``host`` and ``pid``."""
    with _spawn(daemon_path, threads) as daemon:
        model = daemon.load_model(model_path, precision=precision, progress=False)
        part = daemon.calibrate(model, windows=windows, gram=gram, progress=False)
        folder = tempfile.mkdtemp(prefix="cfsp-part-")
        try:
            path = os.path.join(folder, f"part-{share}.json")
            daemon.save_calibration(part, path)
            with open(path, "rb") as file:
                data = file.read()
        finally:
            shutil.rmtree(folder, ignore_errors=True)
    return {"share": share, "statistics": data, "windows": part.windows, "tokens": part.tokens,
            "seconds": part.seconds, "host": socket.gethostname(), "pid": os.getpid()}


@dataclass
class DistributedCalibration:
    """The result of ``calibrate_distributed``: the merged ``calibration`` held by ``client``'s
    daemon (on ``model``), and one entry per share in ``parts`` (``share``, ``windows``,
    ``tokens``, ``seconds``, ``host``, ``pid``). ``seconds`` is the whole call's wall time, split in
    ``stages``: ``prepare`` (driver daemon, model, tokenization, the draw), ``tasks`` (until every
    part is back) and ``merge`` (writing the parts, ``calibration/merge``). When the function
    spawned ``client`` itself, close it (or use this as a context manager) when done."""

    client: Client
    model: ModelInfo
    calibration: Calibration
    parts: List[Dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0
    stages: Dict[str, float] = field(default_factory=dict)
    owns_client: bool = False

    def close(self) -> None:
        """Closes the driver's daemon if ``calibrate_distributed`` spawned it."""
        if self.owns_client:
            self.client.close()

    def __enter__(self) -> "DistributedCalibration":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def _ray(ray_address: Optional[str], ray_init: Optional[Dict[str, Any]]) -> Any:
    try:
        import ray  # type: ignore
    except ImportError:
        raise ImportError("cfsp.distributed needs Ray: pip install ray") from None
    if not ray.is_initialized():
        ray.init(address=ray_address, **(ray_init or {}))
    return ray


def _driver(client: Optional[Client], daemon_path: Optional[str], model_path: str,
            model: Optional[ModelRef], precision: Optional[str]) -> tuple:
    owns = client is None
    driver = client if client is not None else _spawn(daemon_path, None)
    try:
        info = (driver.describe_model(model) if model is not None
                else driver.load_model(model_path, precision=precision, progress=False))
    except BaseException:
        if owns:
            driver.close()
        raise
    return driver, owns, info


def _gather(ray: Any, pending: List[Any]) -> List[Any]:
    """Every task's one result, in order; when one fails (or the caller interrupts), the others
    are cancelled rather than left running."""
    try:
        return ray.get(pending)
    except BaseException:
        for ref in pending:
            try:
                ray.cancel(ref, force=True)
            except Exception:  # noqa: BLE001 - a task that already finished cannot be cancelled
                pass
        raise


def calibrate_distributed(model_path: str, *, windows: Optional[Sequence[Sequence[int]]] = None,
                          text: Optional[str] = None, path: Optional[str] = None,
                          tokens: Optional[Sequence[int]] = None, count: int = 128, window_size: int = 1024,
                          seed: int = 0, starts: Optional[Sequence[int]] = None, workers: int = 2,
                          threads_per_worker: int = 1, gram: Optional[bool] = None,
                          block_metric: Optional[str] = None, precision: Optional[str] = None,
                          ray_address: Optional[str] = None, ray_init: Optional[Dict[str, Any]] = None,
                          daemon_path: Optional[str] = None, client: Optional[Client] = None,
                          model: Optional[ModelRef] = None, max_retries: int = 3,
                          share_function: Optional[Callable[..., Dict[str, Any]]] = None) -> DistributedCalibration:
    """Calibrates ``model_path`` over ``workers`` Ray tasks and merges the parts into one
    calibration in the driver's daemon (``client``, else a ``cfspd`` spawned here; ``model`` a
    handle of it, else ``model_path`` loaded there).

    The windows are ``windows`` as given, or drawn from one text input (``text``, ``path`` of a
    UTF-8 text file, or ``tokens``) exactly as ``calibrate(count=, window_size=, seed=)`` draws
    them (or at ``starts``); the text is tokenized by the driver's daemon. Each task gets
    ``threads_per_worker`` CPUs (Ray's ``num_cpus``) and a ``cfspd --threads`` as many; a task
    whose worker dies is run again up to ``max_retries`` times and counted once.
    ``share_function`` replaces ``calibrate_share`` (same arguments), for tests that kill a
    worker. ``ray_address`` (or ``$RAY_ADDRESS``) joins a running cluster; ``ray_init`` holds
    other ``ray.init`` options (used only when Ray is not initialized yet)."""
    began = time.monotonic()
    ray = _ray(ray_address, ray_init)
    given = [name for name, value in (("windows", windows), ("text", text), ("path", path), ("tokens", tokens))
             if value is not None]
    if len(given) != 1:
        raise TypeError(f"give exactly one of windows, text, path or tokens (got {given or 'none'})")
    if windows is not None and starts is not None:
        raise TypeError("starts index a text input; explicit windows take none")
    driver, owns, info = _driver(client, daemon_path, model_path, model, precision)
    try:
        if windows is None:
            if tokens is None:
                if text is None:
                    with open(os.fspath(path), encoding="utf-8", newline="") as file:  # type: ignore[arg-type]
                        text = file.read()
                tokens = driver.tokenize(info, text, add_special=True)
            stream = list(tokens)
            if starts is None:
                starts = draw_starts(len(stream), window_size, count, seed)
            windows = [stream[s:s + window_size] for s in starts]
            if any(len(w) != window_size or s < 0 for s, w in zip(starts, windows)):
                raise ValueError(f"a window of {window_size} tokens at one of the starts does not fit in {len(stream)} tokens")
        prepared = time.monotonic()
        task = ray.remote(num_cpus=threads_per_worker, max_retries=max_retries)(share_function or calibrate_share)
        shares = split([list(w) for w in windows], workers)
        pending = [task.remote(model_path, share, share=index, daemon_path=daemon_path, threads=threads_per_worker,
                               precision=precision or info.precision, gram=gram)
                   for index, share in enumerate(shares)]
        parts = _gather(ray, pending)
        returned = time.monotonic()
        folder = tempfile.mkdtemp(prefix="cfsp-merge-")
        try:
            paths = []
            for part in parts:
                paths.append(os.path.join(folder, f"part-{part['share']}.json"))
                with open(paths[-1], "wb") as file:
                    file.write(part.pop("statistics"))
            merged = driver.merge_calibrations(paths=paths, model=info, block_metric=block_metric)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
    except BaseException:
        if owns:
            driver.close()
        raise
    ended = time.monotonic()
    stages = {"prepare": prepared - began, "tasks": returned - prepared, "merge": ended - returned}
    return DistributedCalibration(client=driver, model=info, calibration=merged, parts=parts,
                                  seconds=ended - began, stages=stages, owns_client=owns)


def sweep_share(model_path: str, calibration: bytes, sparsities: List[float], *, share: int,
                options: Dict[str, Any], daemon_path: Optional[str] = None, threads: Optional[int] = None,
                precision: Optional[str] = None) -> Dict[str, Any]:
    """What one sweep task runs: a private ``cfspd`` loads ``model_path`` and the saved
    ``calibration`` (its bytes) and sweeps ``sparsities`` with ``options`` (``Client.sweep``'s
    keywords); returns the sweep's JSON answer."""
    folder = tempfile.mkdtemp(prefix="cfsp-sweep-")
    try:
        path = os.path.join(folder, "calibration.json")
        with open(path, "wb") as file:
            file.write(calibration)
        with _spawn(daemon_path, threads) as daemon:
            model = daemon.load_model(model_path, precision=precision, progress=False)
            loaded = daemon.load_calibration(path, model=model)
            return daemon.sweep(model, loaded, sparsities, progress=False, **options).raw
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def sweep_distributed(model_path: str, calibration: str, sparsities: Sequence[float],
                      methods: Optional[Sequence[str]] = None, *, workers: int = 2, threads_per_worker: int = 1,
                      precision: Optional[str] = None, ray_address: Optional[str] = None,
                      ray_init: Optional[Dict[str, Any]] = None, daemon_path: Optional[str] = None,
                      max_retries: int = 3, **options: Any) -> SweepResult:
    """``sweep`` with its sparsities split over ``workers`` Ray tasks: each loads ``model_path``
    and the calibration saved at ``calibration`` (a file written by ``save_calibration``, read
    here and sent as bytes), sweeps its share with ``methods`` and ``options`` (``Client.sweep``'s
    keywords: the evaluation text as ``text``/``tokens``, or a ``path`` every node can read, the
    pruning options), and the points come back in ``sweep``'s order (methods outermost, then the
    sparsities as given); the dense evaluation is the first task's. ``seconds`` is the wall time."""
    began = time.monotonic()
    ray = _ray(ray_address, ray_init)
    if "include_dense" in options or "keep_models" in options:
        raise TypeError("sweep_distributed evaluates the dense model once and frees every pruned model")
    with open(os.fspath(calibration), "rb") as file:
        statistics = ray.put(file.read())
    task = ray.remote(num_cpus=threads_per_worker, max_retries=max_retries)(sweep_share)
    shares = split(list(sparsities), workers)
    pending = [task.remote(model_path, statistics, share, share=index,
                           options={**options, "methods": methods, "include_dense": index == 0},
                           daemon_path=daemon_path, threads=threads_per_worker, precision=precision)
               for index, share in enumerate(shares)]
    answers = _gather(ray, pending)
    order = {s: i for i, s in enumerate(sparsities)}
    method_order = {m: i for i, m in enumerate(methods or [])}
    points = [point for answer in answers for point in answer.get("points", [])]
    points.sort(key=lambda p: (method_order.get(p.get("method"), 0), order.get(p.get("sparsity"), 0)))
    first = answers[0] if answers else {}
    raw = {"model": None, "calibration": None, "dense": first.get("dense"), "parameters": first.get("parameters"),
           "points": points, "seconds": time.monotonic() - began}
    return SweepResult.from_json(raw)
