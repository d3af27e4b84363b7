"""Runs examples/prune.ipynb headless with nbclient against a real cfspd on the tiny model, so the
example notebook can never rot."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

NOTEBOOK = Path(__file__).resolve().parents[1] / "examples" / "prune.ipynb"


def test_example_notebook_runs_on_the_tiny_model(cfspd: str, tiny_model: str, text_file: str,
                                                  tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    output = tmp_path / "pruned.gguf"
    settings = {
        "CFSPD": cfspd, "CFSP_NB_MODEL": tiny_model, "CFSP_NB_TEXT": text_file, "CFSP_NB_WINDOWS": "4",
        "CFSP_NB_WINDOW_SIZE": "16", "CFSP_NB_EVAL_WINDOW_SIZE": "16", "CFSP_NB_EVAL_WINDOWS": "4",
        "CFSP_NB_OUTPUT": str(output), "CFSP_NB_MAX_TOKENS": "6", "CFSP_NB_CHAT": "0",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(NOTEBOOK.parents[1]), os.environ.get("PYTHONPATH")])),
    }
    for name, value in settings.items():
        monkeypatch.setenv(name, value)
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    nbclient.NotebookClient(notebook, timeout=300, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}}).execute()
    assert output.exists()
    outputs = [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    html = "".join(o.get("data", {}).get("text/html", "") for o in outputs)
    assert "dense perplexity" in html and "keep_ratio" in html
    assert "dense answer" in html and "pruned answer" in html
    assert any("image/png" in o.get("data", {}) for o in outputs), "the plot was drawn"
