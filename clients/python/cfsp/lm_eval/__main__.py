"""``python -m cfsp.lm_eval``: lm-eval's command line (every option of ``lm_eval``) with the
``cfsp`` model registered by importing ``cfsp.lm_eval``. Plain ``lm_eval --model cfsp`` works as
well when the start-up hook of ``cfsp_lm_eval.pth`` is installed and not disabled
(``CFSP_NO_LM_EVAL_HOOK``); this command needs neither."""

from __future__ import annotations

import sys
from typing import Optional, Sequence

import cfsp.lm_eval  # noqa: F401  (registers the cfsp model)


def main(argv: Optional[Sequence[str]] = None) -> None:
    """Runs ``lm_eval`` with ``argv`` (default: this process's arguments)."""
    from lm_eval.__main__ import cli_evaluate

    if argv is not None:
        sys.argv = [sys.argv[0], *argv]
    cli_evaluate()


if __name__ == "__main__":
    main()
