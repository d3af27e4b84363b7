"""Matplotlib plot of a pruning decision: block importance (bars) and kept share (line) per block."""

from __future__ import annotations

from typing import Any, Dict, List, Optional


def plot_blocks(blocks: List[Dict[str, Any]], ax: Any = None, title: Optional[str] = None) -> Any:
    """Draws importance per block as bars and the kept share (``keepRatio``, or kept/width) on a
    twin axis in [0, 1]; returns the importance axes."""
    try:
        import matplotlib.pyplot as plt  # type: ignore
    except ImportError:
        raise ImportError("plot() needs matplotlib: pip install 'cfsp[notebook]'") from None
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 3.5))
    indices = [int(b.get("block", i)) for i, b in enumerate(blocks)]
    importance = [float(b.get("importance") or 0.0) for b in blocks]
    kept_share = []
    for b in blocks:
        ratio = b.get("keepRatio")
        if ratio is None and b.get("width"):
            ratio = float(b.get("kept", 0)) / float(b["width"])
        kept_share.append(float(ratio) if ratio is not None else float("nan"))
    ax.bar(indices, importance, color="tab:blue", alpha=0.7, label="block importance")
    ax.set_xlabel("block")
    ax.set_ylabel("importance", color="tab:blue")
    share_ax = ax.twinx()
    share_ax.plot(indices, kept_share, color="tab:orange", marker="o", label="kept share")
    share_ax.set_ylim(0, 1.05)
    share_ax.set_ylabel("kept share of FFN neurons", color="tab:orange")
    ax.set_title(title or "Block importance and kept FFN share")
    return ax


def plot_sweep(points: List[Dict[str, Any]], dense: Optional[float] = None, ax: Any = None,
               title: Optional[str] = None) -> Any:
    """Perplexity against sparsity, one line per method, with the dense model's perplexity as a
    dashed line; returns the axes."""
    try:
        import matplotlib.pyplot as plt  # type: ignore
    except ImportError:
        raise ImportError("plot() needs matplotlib: pip install 'cfsp[notebook]'") from None
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 4))
    methods: List[str] = []
    for point in points:
        if point["method"] not in methods:
            methods.append(point["method"])
    for method in methods:
        rows = sorted((p for p in points if p["method"] == method), key=lambda p: p["sparsity"])
        ax.plot([p["sparsity"] for p in rows], [p["perplexity"] for p in rows], marker="o", label=method)
    if dense is not None:
        ax.axhline(dense, color="gray", linestyle="--", label="dense")
    ax.set_xlabel("FFN sparsity")
    ax.set_ylabel("perplexity")
    ax.legend()
    ax.set_title(title or "Perplexity against FFN sparsity")
    return ax
