"""Progress of long requests (``$/progress``): an event type, and the default display through
``tqdm.auto`` (a widget in Jupyter, a text bar in a terminal) when tqdm is installed."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Optional

ProgressCallback = Callable[["ProgressEvent"], None]


@dataclass
class ProgressEvent:
    """One ``$/progress`` value: ``kind`` is ``begin``, ``report`` or ``end``."""

    token: Any
    kind: str
    title: Optional[str] = None
    message: Optional[str] = None
    percentage: Optional[int] = None
    outcome: Optional[str] = None
    fields: Dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_params(cls, params: Dict[str, Any]) -> "ProgressEvent":
        """Builds the event from the notification's params (unknown members go to ``fields``)."""
        value = dict(params.get("value") or {})
        kind = str(value.pop("kind", "report"))
        percentage = value.pop("percentage", None)
        return cls(
            token=params.get("token"),
            kind=kind,
            title=value.pop("title", None),
            message=value.pop("message", None),
            percentage=percentage if isinstance(percentage, int) else None,
            outcome=value.pop("outcome", None),
            fields={k: v for k, v in value.items() if k != "cancellable"},
        )


class TqdmProgress:
    """Shows one request's progress as a tqdm bar (0-100 %); a no-op when tqdm is missing."""

    def __init__(self, description: str):
        self._description = description
        self._bar: Any = None
        try:
            from tqdm.auto import tqdm  # type: ignore
        except ImportError:  # pragma: no cover - depends on the environment
            self._tqdm = None
        else:
            self._tqdm = tqdm

    def __call__(self, event: ProgressEvent) -> None:
        if self._tqdm is None:
            return
        if event.kind == "begin" and self._bar is None:
            self._bar = self._tqdm(total=100, desc=event.title or self._description, leave=True,
                                   bar_format="{l_bar}{bar}| {n:.0f}% [{elapsed}<{remaining}{postfix}]")
        if self._bar is None:
            return
        if event.percentage is not None:
            self._bar.update(max(0, event.percentage - self._bar.n))
        if event.message:
            self._bar.set_postfix_str(event.message, refresh=False)
        if event.kind == "end":
            if event.outcome == "completed":
                self._bar.update(100 - self._bar.n)
            else:
                self._bar.set_postfix_str(event.outcome or "ended", refresh=False)
            self._bar.close()
            self._bar = None


def tqdm_available() -> bool:
    """True when ``tqdm`` can be imported."""
    try:
        import tqdm  # type: ignore  # noqa: F401
    except ImportError:
        return False
    return True
