"""Typed results of the daemon's methods, as dataclasses.

Each result keeps the daemon's whole answer in ``raw`` (members added by a newer daemon are not
lost); known members become snake_case attributes. Per-block tables convert to pandas with
``to_dataframe()`` and plot with matplotlib through ``plot()``.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Type, TypeVar

T = TypeVar("T")

_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")


def snake_case(name: str) -> str:
    """``tokensPerSecond`` -> ``tokens_per_second``."""
    return _CAMEL.sub("_", name).lower()


def from_json(cls: Type[T], value: Any) -> T:
    """Builds result ``cls`` from a JSON object, matching members to fields by snake_case name."""
    if not isinstance(value, dict):
        value = {}
    names = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    known = {snake_case(k): v for k, v in value.items() if snake_case(k) in names and k != "raw"}
    return cls(raw=value, **known)  # type: ignore[call-arg]


#: Columns of the per-block tables, in the daemon's member order (snake_case, as the attributes).
BLOCK_COLUMNS = ["block", "importance", "mean_importance", "keep_ratio", "width", "kept", "threshold"]


def _frame(rows: List[Dict[str, Any]], order: List[str]) -> Any:
    """A DataFrame of ``rows`` with snake_case columns: those of ``order`` first, in that order,
    then any others (members a newer daemon added) in the order they come."""
    pandas = _require_pandas()
    renamed = [{snake_case(k): v for k, v in row.items()} for row in rows]
    seen: List[str] = []
    for row in renamed:
        seen.extend(k for k in row if k not in seen)
    columns = [c for c in order if c in seen or not rows] + [c for c in seen if c not in order]
    return pandas.DataFrame(renamed, columns=columns)


def _require_pandas() -> Any:
    try:
        import pandas  # type: ignore
    except ImportError:
        raise ImportError("to_dataframe() needs pandas: pip install 'cfsp[notebook]'") from None
    return pandas


@dataclass
class ModelInfo:
    """A model held by the daemon (``model/load``, ``model/describe``, ``model/list``)."""

    model: str = ""
    path: Optional[str] = None
    format: Optional[str] = None
    architecture: Optional[str] = None
    precision: Optional[str] = None
    config: Dict[str, Any] = field(default_factory=dict)
    parameters: Optional[int] = None
    ffn_parameters: Optional[int] = None
    has_tokenizer: Optional[bool] = None
    parent: Optional[str] = None
    bos_token: Optional[int] = None
    eos_token: Optional[int] = None
    adds_bos: Optional[bool] = None
    raw: Dict[str, Any] = field(default_factory=dict, repr=False)


@dataclass
class Calibration:
    """Calibration statistics held by the daemon (``calibrate``, ``calibration/load``)."""

    calibration: str = ""
    model: Optional[str] = None
    windows: Optional[int] = None
    window_size: Optional[int] = None
    tokens: Optional[int] = None
    seconds: Optional[float] = None
    tokens_per_second: Optional[float] = None
    block_metric: Optional[str] = None
    importance: List[float] = field(default_factory=list)
    mean_importance: List[float] = field(default_factory=list)
    gram: Optional[bool] = None
    raw: Dict[str, Any] = field(default_factory=dict, repr=False)

    def to_dataframe(self) -> Any:
        """One row per block: ``block``, ``importance``, ``mean_importance``."""
        rows = [{"block": i, "importance": v,
                 "mean_importance": self.mean_importance[i] if i < len(self.mean_importance) else None}
                for i, v in enumerate(self.importance)]
        return _frame(rows, ["block", "importance", "mean_importance"])


@dataclass
class ScoreResult:
    """What each block keeps (``score``): one row per block in ``blocks``."""

    model: Optional[str] = None
    calibration: Optional[str] = None
    options: Dict[str, Any] = field(default_factory=dict)
    kept_neurons: Optional[int] = None
    total_neurons: Optional[int] = None
    achieved_sparsity: Optional[float] = None
    blocks: List[Dict[str, Any]] = field(default_factory=list)
    raw: Dict[str, Any] = field(default_factory=dict, repr=False)

    def to_dataframe(self) -> Any:
        """The per-block table: block, importance, mean_importance, keep_ratio, width, kept, threshold."""
        return _frame(self.blocks, BLOCK_COLUMNS)

    def plot(self, ax: Any = None, title: Optional[str] = None) -> Any:
        """Bars of block importance with the kept share per block on a second axis; returns the axes."""
        from .plotting import plot_blocks

        return plot_blocks(self.blocks, ax=ax, title=title)


@dataclass
class PruneResult(ScoreResult):
    """A pruned model (``prune``): ``pruned`` is its handle; the score table comes with it."""

    pruned: str = ""
    widths: List[int] = field(default_factory=list)
    heads: List[int] = field(default_factory=list)
    parameters_before: Optional[int] = None
    parameters_after: Optional[int] = None
    ffn_parameters_before: Optional[int] = None
    ffn_parameters_after: Optional[int] = None
    share_removed: Optional[float] = None
    seconds: Optional[float] = None


@dataclass
class Evaluation:
    """Perplexity over non-overlapping windows (``evaluate``)."""

    model: Optional[str] = None
    perplexity: Optional[float] = None
    mean_negative_log_likelihood: Optional[float] = None
    windows: Optional[int] = None
    window_size: Optional[int] = None
    scored_tokens: Optional[int] = None
    seconds: Optional[float] = None
    tokens_per_second: Optional[float] = None
    raw: Dict[str, Any] = field(default_factory=dict, repr=False)


@dataclass
class FinetuneResult:
    """A model recovered with LoRA adapters, merged (``finetune``)."""

    model: Optional[str] = None
    finetuned: Optional[str] = None
    ranks: Optional[List[int]] = None
    trainable_parameters: Optional[int] = None
    loss_curve: Optional[List[float]] = None
    steps_completed: Optional[int] = None
    steps_planned: Optional[int] = None
    cancelled: Optional[bool] = None
    stopped_by_time_budget: Optional[bool] = None
    tokens_trained: Optional[int] = None
    seconds: Optional[float] = None
    summary: Optional[str] = None
    raw: Dict[str, Any] = field(default_factory=dict, repr=False)


@dataclass
class Generation:
    """A continuation of a prompt (``generate``): its text and tokens, why it ended, and speed."""

    model: Optional[str] = None
    text: Optional[str] = None
    tokens: Optional[List[int]] = None
    finish_reason: Optional[str] = None
    prompt_tokens: Optional[int] = None
    prompt_seconds: Optional[float] = None
    decode_seconds: Optional[float] = None
    decode_steps: Optional[int] = None
    seed: Optional[int] = None
    generated_tokens: Optional[int] = None
    tokens_per_second: Optional[float] = None
    prompt_tokens_per_second: Optional[float] = None
    raw: Dict[str, Any] = field(default_factory=dict, repr=False)

    def __str__(self) -> str:
        return self.text or ""


@dataclass
class ExportResult:
    """A model written to disk (``export``)."""

    model: Optional[str] = None
    format: Optional[str] = None
    path: Optional[str] = None
    precision: Optional[str] = None
    bytes: Optional[int] = None
    has_tokenizer: Optional[bool] = None
    notes: List[str] = field(default_factory=list)
    #: ``[{"type": "Q4_K", "tensors": 120, "bytes": ...}, ...]``, the most bytes first.
    tensor_types: List[Dict[str, Any]] = field(default_factory=list)
    tensors: Optional[int] = None
    raw: Dict[str, Any] = field(default_factory=dict, repr=False)

    def type_counts(self) -> Dict[str, int]:
        """Tensors per stored type: ``{"Q4_K": 120, "Q6_K": 25, "F32": 61}``."""
        return {t["type"]: t["tensors"] for t in self.tensor_types}

    def to_dataframe(self) -> Any:
        """One row per stored type: ``type``, ``tensors``, ``bytes``."""
        return _frame(self.tensor_types, ["type", "tensors", "bytes"])


@dataclass
class ContinuationScore:
    """How likely the model finds one continuation after its context (``loglikelihood``)."""

    log_likelihood: float = 0.0
    is_greedy: bool = False
    tokens: int = 0
    truncated_tokens: int = 0
    raw: Dict[str, Any] = field(default_factory=dict, repr=False)


@dataclass
class RunResult:
    """The whole pipeline (``run``): each stage's result, and each stage's wall time in ``stages``
    (``[{"stage": "calibrate", "seconds": 1.2}, ...]``). The pruned model's handle is
    ``pruning.pruned`` (gone when the run was asked to ``release``).

    A streamed run (``streamed`` is True) skips both evaluations (``dense_evaluation`` and
    ``pruned_evaluation`` are None) and loads no model, so it sends no model handle:
    ``model.model``, ``pruning.model``, ``pruning.pruned`` and ``export.model`` are empty. The
    rest (the model's shape and parameters, the plan, the parameter counts, the export, the
    stage times) is there as for a loaded run."""

    model: ModelInfo = field(default_factory=ModelInfo)
    calibration: Calibration = field(default_factory=Calibration)
    dense_evaluation: Optional[Evaluation] = field(default_factory=Evaluation)
    pruning: PruneResult = field(default_factory=PruneResult)
    pruned_evaluation: Optional[Evaluation] = field(default_factory=Evaluation)
    export: Optional[ExportResult] = None
    stages: List[Dict[str, Any]] = field(default_factory=list)
    released: Optional[bool] = None
    streamed: bool = False
    total_seconds: Optional[float] = None
    raw: Dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_json(cls, value: Any) -> "RunResult":
        """The result with each stage's member as its own typed result."""
        result = from_json(cls, value)
        result.model = from_json(ModelInfo, result.raw.get("model"))
        result.calibration = from_json(Calibration, result.raw.get("calibration"))
        dense, pruned = result.raw.get("denseEvaluation"), result.raw.get("prunedEvaluation")
        result.dense_evaluation = from_json(Evaluation, dense) if dense is not None else None
        result.pruning = from_json(PruneResult, result.raw.get("pruning"))
        result.pruned_evaluation = from_json(Evaluation, pruned) if pruned is not None else None
        result.streamed = bool(result.raw.get("streamed", False))
        exported = result.raw.get("export")
        result.export = from_json(ExportResult, exported) if exported is not None else None
        return result

    def to_dataframe(self) -> Any:
        """One row per stage: ``stage``, ``seconds``."""
        return _frame(self.stages, ["stage", "seconds"])


@dataclass
class SweepResult:
    """Pruned and evaluated points from one calibration (``sweep``): one row per point in
    ``points`` (methods outermost), the dense model's evaluation in ``dense``."""

    model: Optional[str] = None
    calibration: Optional[str] = None
    dense: Optional[Evaluation] = None
    parameters: Optional[int] = None
    points: List[Dict[str, Any]] = field(default_factory=list)
    seconds: Optional[float] = None
    raw: Dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_json(cls, value: Any) -> "SweepResult":
        """The result with the dense evaluation typed."""
        result = from_json(cls, value)
        dense = result.raw.get("dense")
        result.dense = from_json(Evaluation, dense) if dense is not None else None
        return result

    def to_dataframe(self) -> Any:
        """One row per point: method, sparsity, achieved_sparsity, perplexity, parameters,
        share_removed, widths, seconds (and model, when the sweep kept the models)."""
        return _frame(self.points, ["method", "sparsity", "achieved_sparsity", "perplexity", "parameters",
                                    "share_removed", "widths", "seconds", "model"])

    def plot(self, ax: Any = None, title: Optional[str] = None) -> Any:
        """Perplexity against sparsity, one line per method, the dense model dashed; returns the axes."""
        from .plotting import plot_sweep

        return plot_sweep(self.points, dense=self.dense.perplexity if self.dense else None, ax=ax, title=title)


@dataclass
class SavedCalibration:
    """A calibration written to a JSON file (``calibration/save``)."""

    calibration: Optional[str] = None
    path: Optional[str] = None
    bytes: Optional[int] = None
    raw: Dict[str, Any] = field(default_factory=dict, repr=False)


@dataclass
class Unloaded:
    """Answer of ``model/unload``."""

    model: Optional[str] = None
    unloaded: bool = False
    raw: Dict[str, Any] = field(default_factory=dict, repr=False)


@dataclass
class Released:
    """Answer of ``calibration/release``."""

    calibration: Optional[str] = None
    released: bool = False
    raw: Dict[str, Any] = field(default_factory=dict, repr=False)


@dataclass
class ServerInfo:
    """Answer of ``initialize``: who the daemon is and what it serves."""

    name: str = ""
    version: str = ""
    capabilities: Dict[str, Any] = field(default_factory=dict)

    @property
    def methods(self) -> List[str]:
        """Every request and notification the daemon answers."""
        return list(self.capabilities.get("methods", []))
