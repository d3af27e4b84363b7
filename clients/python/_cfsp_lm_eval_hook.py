"""Start-up hook that makes ``lm_eval --model cfsp`` work without importing cfsp first.

lm-evaluation-harness 0.4.x has no plugin discovery: its model registry knows the models that
``lm_eval.models`` lists (``MODEL_MAPPING``, registered as lazy ``"module:attr"`` placeholders)
and whatever someone registered by importing a module. The client installs ``cfsp_lm_eval.pth``
at the root of site-packages, whose one line imports this module when any interpreter starts.
This module imports nothing but ``os`` and ``sys`` (never lm_eval or cfsp): it puts a finder at
the front of ``sys.meta_path`` that answers no import but ``lm_eval.models``. When that package is
imported (lm-eval's ``get_model`` imports it the first time a model is looked up by name), the
finder lets the regular finders locate it, runs it unchanged, then registers ``cfsp`` beside
lm-eval's own models as the placeholder ``"cfsp.lm_eval:CfspLM"`` and takes itself off
``sys.meta_path``. ``cfsp.lm_eval`` is imported only when the ``cfsp`` model is asked for, by
lm-eval's own placeholder loading; its ``@register_model("cfsp")`` then upgrades the placeholder to
the class, which lm-eval's registry allows.

Why ``lm_eval.models`` rather than ``lm_eval.api.registry``: ``get_model`` imports
``lm_eval.models`` (and with it every built-in model) only while the model registry is empty, so
an entry added as soon as the registry module exists would hide ``hf``, ``vllm`` and the rest from
a process that had not imported ``lm_eval.models`` itself.

Nothing here may break Python's start-up: every failure (lm_eval absent, a registry API other
than 0.4.x's) leaves things as they were, silently. ``CFSP_NO_LM_EVAL_HOOK=1`` (any value but
empty or ``0``) disables the hook; ``python -m cfsp.lm_eval`` and ``import cfsp.lm_eval`` register
the model whether or not the hook runs.
"""

import os
import sys

#: The environment variable that disables the hook (any value but empty or ``0``).
DISABLE_VARIABLE = "CFSP_NO_LM_EVAL_HOOK"
#: The module whose execution the hook waits for.
TRIGGER = "lm_eval.models"
#: The model name and the lazy placeholder registered for it.
MODEL_NAME = "cfsp"
PLACEHOLDER = "cfsp.lm_eval:CfspLM"


def disabled() -> bool:
    """Whether ``CFSP_NO_LM_EVAL_HOOK`` turns the hook off."""
    return os.environ.get(DISABLE_VARIABLE, "").strip() not in ("", "0")


def register() -> bool:
    """Registers ``cfsp`` as a lazy placeholder in lm-eval's model registry; True when the
    registry holds ``cfsp`` afterwards. Never raises: a registry without the 0.4.x API (a
    ``model_registry`` with ``register(alias, target=...)`` and ``in``) is left alone."""
    try:
        from lm_eval.api.registry import model_registry  # type: ignore[import-not-found]

        if MODEL_NAME not in model_registry:
            model_registry.register(MODEL_NAME, target=PLACEHOLDER)
        return MODEL_NAME in model_registry
    except Exception:
        return False


class _Loader:
    """The real loader of ``lm_eval.models``, with the registration after its ``exec_module``.
    Every other attribute (``get_source``, ``is_package``, resource readers...) is the real
    loader's, so tracebacks, ``inspect`` and ``importlib.resources`` see no difference."""

    def __init__(self, loader: object, finder: "_Finder") -> None:
        self._cfsp_loader = loader
        self._cfsp_finder = finder

    def __getattr__(self, name: str) -> object:
        if name.startswith("_cfsp_"):  # not yet set (copy, pickle): no recursion
            raise AttributeError(name)
        return getattr(self._cfsp_loader, name)

    def create_module(self, spec: object) -> object:
        create = getattr(self._cfsp_loader, "create_module", None)
        return create(spec) if create is not None else None

    def exec_module(self, module: object) -> None:
        try:
            module.__loader__ = self._cfsp_loader  # type: ignore[attr-defined]
            module.__spec__.loader = self._cfsp_loader  # type: ignore[attr-defined]
        except Exception:
            pass
        self._cfsp_loader.exec_module(module)  # type: ignore[attr-defined]
        self._cfsp_finder.remove()
        register()


class _Finder:
    """A ``sys.meta_path`` finder that finds nothing itself: for ``lm_eval.models`` it asks the
    finders behind it and wraps the loader of what they find in a ``_Loader``."""

    def find_spec(self, fullname: str, path: object = None, target: object = None) -> object:
        if fullname != TRIGGER:
            return None
        try:
            spec = None
            for finder in list(sys.meta_path):
                if finder is self or isinstance(finder, _Finder):
                    continue
                find = getattr(finder, "find_spec", None)
                if find is None:
                    continue
                spec = find(fullname, path, target)
                if spec is not None:
                    break
            if spec is None:
                return None
            loader = getattr(spec, "loader", None)
            if loader is None or not hasattr(loader, "exec_module"):
                return spec
            spec.loader = _Loader(loader, self)
            return spec
        except Exception:
            return None

    def remove(self) -> None:
        """Takes this finder off ``sys.meta_path`` (it has one module to wait for)."""
        try:
            while self in sys.meta_path:
                sys.meta_path.remove(self)
        except Exception:
            pass


def install() -> bool:
    """Puts the finder on ``sys.meta_path`` (or registers at once when ``lm_eval.models`` is
    already imported); True when the hook is armed or the model registered. Does nothing when
    disabled or already installed."""
    try:
        if disabled():
            return False
        if TRIGGER in sys.modules:
            return register()
        if not any(isinstance(finder, _Finder) for finder in sys.meta_path):
            sys.meta_path.insert(0, _Finder())
        return True
    except Exception:
        return False


install()
