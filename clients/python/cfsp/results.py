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
        """One row per block: ``block``, ``importance``, ``meanImportance``."""
        pandas = _require_pandas()
        rows = [{"block": i, "importance": v,
                 "meanImportance": self.mean_importance[i] if i < len(self.mean_importance) else None}
                for i, v in enumerate(self.importance)]
        return pandas.DataFrame(rows, columns=["block", "importance", "meanImportance"])


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
        """The per-block table (block, importance, meanImportance, keepRatio, width, kept, threshold)."""
        pandas = _require_pandas()
        return pandas.DataFrame(self.blocks)

    def plot(self, ax: Any = None, title: Optional[str] = None) -> Any:
        """Bars of block importance with the kept share per block on a second axis; returns the axes."""
        from .plotting import plot_blocks

        return plot_blocks(self.blocks, ax=ax, title=title)


@dataclass
class PruneResult(ScoreResult):
    """A pruned model (``prune``): ``pruned`` is its handle; the score table comes with it."""

    pruned: str = ""
    widths: List[int] = field(default_factory=list)
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
class ExportResult:
    """A model written to disk (``export``)."""

    model: Optional[str] = None
    format: Optional[str] = None
    path: Optional[str] = None
    precision: Optional[str] = None
    bytes: Optional[int] = None
    has_tokenizer: Optional[bool] = None
    notes: List[str] = field(default_factory=list)
    raw: Dict[str, Any] = field(default_factory=dict, repr=False)


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
