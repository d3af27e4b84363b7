"""Fixtures shared by the client tests: the real cfspd and cfsp binaries, the tiny test model,
a seeded text, and a daemon serving a Unix socket."""

from __future__ import annotations

import os
import random
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(REPO / "clients" / "python"))  # test the working tree, installed or not


def _binary(variable: str, name: str) -> str:
    explicit = os.environ.get(variable)
    candidates = [explicit] if explicit else [str(REPO / ".build" / "release" / name),
                                              str(REPO / ".build" / "debug" / name)]
    for candidate in candidates:
        if candidate and os.access(candidate, os.X_OK):
            return os.path.abspath(candidate)
    pytest.fail(f"{name} not found (tried {', '.join(c for c in candidates if c)}): "
                f"run `swift build -c release` first or set ${variable}")


@pytest.fixture(scope="session")
def cfspd() -> str:
    """Path of the daemon executable ($CFSPD, else .build/release/cfspd)."""
    return _binary("CFSPD", "cfspd")


@pytest.fixture(scope="session")
def cfsp_cli() -> str:
    """Path of the shell client ($CFSP_CLI, else .build/release/cfsp)."""
    return _binary("CFSP_CLI", "cfsp")


@pytest.fixture(scope="session")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("cfsp")


@pytest.fixture(scope="session")
def tiny_model(cfspd: str, workdir: Path) -> str:
    """The daemon's tiny seeded test model (2 blocks, FFN 48) with a byte-level tokenizer."""
    path = workdir / "tiny.gguf"
    subprocess.run([cfspd, "make-test-model", "--output", str(path), "--overwrite"], check=True,
                   capture_output=True, timeout=60)
    return str(path)


@pytest.fixture(scope="session")
def text_file(workdir: Path) -> str:
    """A seeded text of about 2000 words (enough windows of 16 tokens)."""
    rng = random.Random(7)
    words = "the quick brown fox jumps over a lazy dog while seven wizards hex bold jams".split()
    path = workdir / "text.txt"
    path.write_text(" ".join(rng.choice(words) for _ in range(2000)), encoding="utf-8")
    return str(path)


@pytest.fixture(scope="session")
def long_text_file(workdir: Path) -> str:
    """A seeded text of 200,000 words: evaluating it takes seconds even in release, so a
    cancellation always lands while the job runs."""
    rng = random.Random(11)
    words = "the quick brown fox jumps over a lazy dog while seven wizards hex bold jams".split()
    path = workdir / "long.txt"
    path.write_text(" ".join(rng.choice(words) for _ in range(200_000)), encoding="utf-8")
    return str(path)


def wait_for_socket(path: str, process: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"cfspd exited with {process.returncode} before listening on {path}")
        try:
            with socket.socket(socket.AF_UNIX) as probe:
                probe.connect(path)
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"cfspd did not listen on {path} within {timeout} s")


@pytest.fixture
def socket_daemon(cfspd: str, tmp_path: Path):
    """A cfspd serving a fresh Unix socket (no stdio); yields the socket path."""
    path = str(tmp_path / "d.sock")
    process = subprocess.Popen([cfspd, "serve", "--socket", path, "--no-stdio", "--log-level", "warning"],
                               stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE)
    try:
        wait_for_socket(path, process)
        yield path
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    assert process.returncode == 0, f"cfspd exited with {process.returncode} on SIGTERM"
