"""Datasets of the local lm-eval tasks of the cfsp client tests: JSON Lines files beside this
module, loaded without the Hugging Face hub (`custom_dataset` of each task's YAML)."""

import json
from pathlib import Path

import datasets

HERE = Path(__file__).resolve().parent


def _split(name: str, **_: object) -> "datasets.DatasetDict":
    rows = [json.loads(line) for line in (HERE / name).read_text(encoding="utf-8").splitlines() if line.strip()]
    return datasets.DatasetDict({"test": datasets.Dataset.from_list(rows)})


def multiple_choice(**kwargs: object) -> "datasets.DatasetDict":
    """Eight questions with two to four choices (multiple_choice.jsonl)."""
    return _split("multiple_choice.jsonl", **kwargs)


def documents(**kwargs: object) -> "datasets.DatasetDict":
    """Three documents, one longer than a short max_length (documents.jsonl)."""
    return _split("documents.jsonl", **kwargs)


def prompts(**kwargs: object) -> "datasets.DatasetDict":
    """Three prompts with one-word answers (prompts.jsonl)."""
    return _split("prompts.jsonl", **kwargs)
