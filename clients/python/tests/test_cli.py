"""The `cfsp` shell client against a real cfspd on the tiny test model: every subcommand, progress
lines, exit codes, Ctrl-C, a daemon that is not running, and bad arguments."""

from __future__ import annotations

import json
import os
import signal
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import List

import pytest

USAGE, UNAVAILABLE, DAEMON_ERROR, CANCELLED = 64, 69, 70, 130


@pytest.fixture
def cli(cfsp_cli: str, cfspd: str):
    """Runs cfsp with the test daemon; returns the CompletedProcess."""

    def run(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
        env = dict(os.environ, CFSPD=cfspd)
        return subprocess.run([cfsp_cli, *args], capture_output=True, text=True, timeout=timeout, env=env)

    return run


def progress_lines(stderr: str) -> List[dict]:
    return [json.loads(line) for line in stderr.splitlines() if line.startswith('{"token"')]


SUBCOMMANDS = [
    [], ["run"], ["daemon"], ["daemon", "start"], ["daemon", "stop"], ["daemon", "status"], ["model"],
    ["model", "load"], ["model", "list"], ["model", "describe"], ["model", "unload"], ["calibrate"],
    ["calibration", "save"], ["calibration", "load"], ["calibration", "merge"], ["calibration", "release"],
    ["score"], ["prune"],
    ["evaluate"], ["export"], ["finetune"], ["generate"], ["tokenize"], ["detokenize"], ["call"],
]


@pytest.mark.parametrize("words", SUBCOMMANDS, ids=lambda w: " ".join(w) or "cfsp")
def test_help_everywhere(cli, words: List[str]) -> None:
    result = cli(*words, "--help")
    assert result.returncode == 0, result.stderr
    assert "USAGE: cfsp" in result.stdout
    assert "OVERVIEW:" in result.stdout or "OPTIONS:" in result.stdout


@pytest.mark.parametrize("args,expected", [
    (["prune", "--model", "m1", "--calibration", "c1", "--sparsity", "1.5"], "--sparsity must be in [0, 1)"),
    (["evaluate", "--model", "m1"], "exactly one text input"),
    (["calibrate", "--model", "m1", "--text", "a", "--path", "b"], "exactly one text input"),
    (["calibrate", "--model", "m1", "--tokens", "1,x"], "--tokens must be"),
    (["calibrate", "--model", "m1", "--text", "a", "--count", "0"], "--count must be an integer at least 1, not 0"),
    (["score", "--model", "m1"], "Missing expected argument"),
    (["calibration", "merge"], "give at least one calibration to merge"),
    (["finetune", "--model", "m2", "--text", "a", "--steps", "0"], "--steps must be an integer at least 1, not 0"),
    # Negative numbers are values, out of range like any other (not a missing value).
    (["prune", "--model", "m1", "--calibration", "c1", "--sparsity", "-0.1"], "--sparsity must be in [0, 1), not -0.1"),
    (["score", "--model", "m1", "--calibration", "c1", "--sparsity", "0.3", "--temperature", "-2", "--align", "-1"],
     "--align must be an integer at least 1, not -1"),
    (["finetune", "--model", "m2", "--text", "a", "--steps", "1", "--learning-rate", "-1e-4"],
     "--learning-rate must be greater than 0, not -0.0001"),
    (["evaluate", "--model", "m1", "--text", "a", "--window-size", "1"], "--window-size must be an integer at least 2, not 1"),
    # Enum values are checked before anything is sent, listing the accepted ones.
    (["prune", "--model", "m1", "--calibration", "c1", "--sparsity", "0.3", "--method", "wanda"], "- wanda-sp"),
    (["export", "--model", "m1", "out.gguf", "--precision", "q3_k"], "  - q4_k_m\n"),
    (["export", "--model", "m1", "out-hf", "--format", "hf", "--precision", "q4_k_m"], 'for format "hf"'),
    (["model", "load", "model.gguf", "--precision", "q8_0"], "Please provide one of 'f32', 'bf16' or 'native'"),
    (["finetune", "--model", "m2", "--text", "a", "--steps", "1", "--allocation", "random"],
     "Please provide one of 'importance', 'pruned' or 'uniform'"),
    (["call", "model/list", "[1]"], "params must be a JSON object"),
    (["call", "model/list", "{oops"], "not valid JSON"),
    (["frobnicate"], "Unexpected argument"),
])
def test_bad_arguments_are_usage_errors(cli, args: List[str], expected: str) -> None:
    result = cli(*args)
    assert result.returncode == USAGE
    assert expected in result.stderr


def test_version(cli, cfspd: str) -> None:
    version = cli("--version")
    assert version.returncode == 0 and version.stdout.strip() == "0.1.0"
    daemon = subprocess.run([cfspd, "--version"], capture_output=True, text=True, timeout=30)
    assert daemon.returncode == 0 and daemon.stdout.strip() == version.stdout.strip()


def test_text_is_inline_and_path_is_a_file(cli, text_file: str) -> None:
    # `--text FILE` used to score the file's name as text; a file is --path everywhere.
    for words in (["evaluate", "--model", "m1"], ["calibrate", "--model", "m1"], ["run", "model.gguf"],
                  ["finetune", "--model", "m1", "--steps", "1"]):
        result = cli(*words, "--text", text_file)
        assert result.returncode == USAGE, result
        assert f"pass --path {text_file}" in result.stderr
    for words in (["evaluate", "--model", "m1"], ["calibrate", "--model", "m1"], ["run", "model.gguf"]):
        assert "--path <file>" in cli(*words, "--help").stdout
    assert "--eval-path <file>" in cli("run", "--help").stdout


def test_shared_options_read_the_same_everywhere(cli) -> None:
    # One option group per shared option: the same help in every subcommand that takes it.
    def option_help(words: List[str], option: str) -> str:
        lines = cli(*words, "--help").stdout.splitlines()
        start = next(i for i, line in enumerate(lines) if line.strip().startswith(option + " "))
        block = [lines[start]]
        for line in lines[start + 1:]:
            if not line.startswith(" " * 18) or line.strip().startswith("-"):
                break
            block.append(line)
        return " ".join(" ".join(l.split()) for l in block)
    for option, commands in (("--sparsity", [["score"], ["prune"], ["run"]]),
                             ("--method", [["score"], ["prune"], ["run"]]),
                             ("--count", [["calibrate"], ["run"]]),
                             ("--max-windows", [["evaluate"], ["run"]]),
                             ("--overwrite", [["export"], ["calibration", "save"], ["run"]]),
                             ("--path", [["calibrate"], ["evaluate"], ["finetune"], ["run"]])):
        helps = {option_help(words, option) for words in commands}
        assert len(helps) == 1, (option, helps)
    assert "default: 128" in option_help(["calibrate"], "--count")


def test_a_daemon_that_is_not_running(cli, tmp_path: Path) -> None:
    path = str(tmp_path / "nobody.sock")
    for args in (["model", "list"], ["daemon", "status"], ["daemon", "stop"]):
        result = cli(*args, "--socket", path)
        assert result.returncode == UNAVAILABLE, result
        assert path in result.stderr
    listing = cli("model", "list", "--socket", path)
    assert "cfsp daemon start --socket" in listing.stderr and "--spawn" in listing.stderr


FOREIGN_UID = 65534  # nobody


def _foreign_listener(path: Path) -> subprocess.Popen:
    """A process of another user (uid 65534) accepting on `path`, answering nothing; needs root."""
    code = ("import socket,sys,time; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(8); "
            "print('ready', flush=True); time.sleep(60)")
    process = subprocess.Popen(["setpriv", f"--reuid={FOREIGN_UID}", f"--regid={FOREIGN_UID}", "--clear-groups",
                                "/usr/bin/python3", "-c", code, str(path)], stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None and process.stdout.readline().strip() == "ready"
    return process


@pytest.mark.skipif(os.geteuid() != 0 or not (os.path.exists("/usr/bin/setpriv") and os.path.exists("/usr/bin/python3")),
                    reason="needs root, setpriv and /usr/bin/python3 to run a listener as another user")
def test_a_daemon_of_another_user_is_refused(cli) -> None:
    # A folder that user can reach and write, like /tmp where the /tmp/cfsp-$UID.sock fallback lives.
    folder = Path(tempfile.mkdtemp(prefix="cfsp-foreign-", dir="/tmp"))
    folder.chmod(0o1777)
    path = folder / "cfsp.sock"
    listener = _foreign_listener(path)
    try:
        # The socket file and the process behind it are another user's.
        for args in (["model", "list"], ["daemon", "status"], ["daemon", "stop"], ["daemon", "start"]):
            result = cli(*args, "--socket", str(path), timeout=30)
            assert result.returncode == UNAVAILABLE, result
            assert "refusing to talk to the daemon" in result.stderr, result.stderr
            assert f"belongs to uid {FOREIGN_UID}" in result.stderr, result.stderr
        assert listener.poll() is None  # `daemon stop` did not signal it
        # The file made to look like ours: the peer's uid (SO_PEERCRED) still gives it away.
        os.chown(path, os.getuid(), os.getgid())
        result = cli("model", "list", "--socket", str(path), timeout=30)
        assert result.returncode == UNAVAILABLE, result
        assert f"it is run by uid {FOREIGN_UID} (pid {listener.pid}" in result.stderr, result.stderr
    finally:
        listener.kill()
        listener.wait()
        shutil.rmtree(folder, ignore_errors=True)


def test_run_sends_the_daemons_run_method(cli, socket_daemon: str, tiny_model: str, text_file: str,
                                          tmp_path: Path) -> None:
    s = ["--socket", socket_daemon]
    target = tmp_path / "run.gguf"
    common = ["--path", text_file, "--count", "4", "--window-size", "16", "--eval-window-size", "16",
              "--max-windows", "3", "-o", str(target), *s]
    result = cli("run", tiny_model, "--sparsity", "0.25", "--json", "--progress", "json", *common)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["pruning"]["options"]["sparsity"] == 0.25 and report["export"]["path"] == str(target)
    assert [stage["stage"] for stage in report["stages"]] == [
        "load", "calibrate", "evaluateDense", "prune", "evaluatePruned", "export"]
    summary = report["summary"]
    assert summary["densePerplexity"] == report["denseEvaluation"]["perplexity"]
    assert summary["parametersAfter"] < summary["parametersBefore"] and summary["exported"] == str(target)
    stages = {e["value"].get("stage") for e in progress_lines(result.stderr) if e["value"]["kind"] == "report"}
    assert {"load", "calibrate", "evaluateDense", "prune", "evaluatePruned", "export"} <= stages
    assert target.stat().st_size == report["export"]["bytes"]

    refused = cli("run", tiny_model, *common)
    assert refused.returncode == USAGE and "pass --overwrite" in refused.stderr
    table = cli("run", tiny_model, "--overwrite", "--release", "--quiet", *common)
    assert table.returncode == 0, table.stderr
    rows = dict(line.split("  ", 1) for line in table.stdout.splitlines() if "  " in line)
    assert rows["FFN sparsity"].strip().endswith(" %") and rows["exported"].strip() == str(target)
    assert "time: evaluate dense" in rows and table.stderr == ""
    # --release freed the second run's models; the first run's stay.
    assert [m["model"] for m in json.loads(cli("model", "list", "--json", *s).stdout)["models"]] == ["m1", "m2"]


def test_run_streamed(cli, socket_daemon: str, tiny_model: str, text_file: str, tmp_path: Path) -> None:
    s = ["--socket", socket_daemon]
    loaded, streamed = tmp_path / "loaded.gguf", tmp_path / "streamed.gguf"
    common = ["--path", text_file, "--count", "4", "--window-size", "16", "--sparsity", "0.25", *s]
    first = cli("run", tiny_model, "--eval-window-size", "16", "--max-windows", "2", "-o", str(loaded), "--release",
                "--quiet", *common)
    assert first.returncode == 0, first.stderr
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    result = cli("run", tiny_model, "--streamed", "--scratch", str(scratch), "-o", str(streamed), "--json", *common)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["streamed"] is True and report["denseEvaluation"] is None and report["prunedEvaluation"] is None
    assert report["summary"]["densePerplexity"] is None and report["summary"]["exported"] == str(streamed)
    assert [stage["stage"] for stage in report["stages"]] == ["load", "calibrate", "prune", "export"]
    assert streamed.read_bytes() == loaded.read_bytes()

    table = cli("run", tiny_model, "--streamed", "-o", str(streamed), "--overwrite", "--quiet", *common)
    assert table.returncode == 0, table.stderr
    rows = dict(line.split("  ", 1) for line in table.stdout.splitlines() if "  " in line)
    assert rows["dense perplexity"].strip() == "- (skipped: streamed)" and "time: evaluate dense" not in rows
    assert "time: export" in rows and rows["exported"].strip() == str(streamed)

    refused = cli("run", tiny_model, "--streamed", "--eval-path", text_file, "-o", str(tmp_path / "x.gguf"), *common)
    assert refused.returncode == USAGE and "--eval-path" in refused.stderr, refused.stderr
    missing = cli("run", tiny_model, "--streamed", "--scratch", str(tmp_path / "none"), "-o", str(tmp_path / "y.gguf"),
                  *common)
    assert missing.returncode == USAGE and "--scratch" in missing.stderr, missing.stderr
    alone = cli("run", tiny_model, "--scratch", str(scratch), "-o", str(tmp_path / "z.gguf"), *common)
    assert alone.returncode == USAGE and "--scratch" in alone.stderr, alone.stderr
    help = " ".join(cli("run", "--help").stdout.split())
    assert "--streamed" in help and "--scratch <dir>" in help and "does not fit in memory" in help


def test_every_method_over_the_socket(cli, socket_daemon: str, tiny_model: str, text_file: str,
                                      tmp_path: Path) -> None:
    s = ["--socket", socket_daemon]

    def ok(*args: str) -> subprocess.CompletedProcess:
        result = cli(*args, *s)
        assert result.returncode == 0, result.stderr
        return result

    def js(*args: str) -> dict:
        return json.loads(ok(*args, "--json").stdout)

    loaded = js("model", "load", tiny_model)
    assert loaded["model"] == "m1" and loaded["format"] == "gguf"
    assert "model:" in ok("model", "describe", "m1").stdout
    assert [m["model"] for m in js("model", "list")["models"]] == ["m1"]

    calibrated = ok("calibrate", "--model", "m1", "--path", text_file, "--count", "4", "--window-size", "16",
                    "--progress", "json")
    assert "calibration:" in calibrated.stdout and "c1" in calibrated.stdout
    events = progress_lines(calibrated.stderr)  # --progress json: one JSON line per event
    assert events[0]["value"]["kind"] == "begin" and events[0]["value"]["title"] == "calibrate"
    assert events[-1]["value"] == {"kind": "end", "outcome": "completed"}
    assert any(e["value"]["kind"] == "report" and "window" in e["value"] for e in events)
    assert len({e["token"] for e in events}) == 1

    saved = js("calibration", "save", "c1", str(tmp_path / "c.json"))
    assert Path(saved["path"]).stat().st_size == saved["bytes"]
    assert js("calibration", "load", str(tmp_path / "c.json"), "--model", "m1")["calibration"] == "c2"
    assert js("calibration", "release", "c2")["released"] is True
    merged = js("calibration", "merge", "c1", "--path", str(tmp_path / "c.json"), "--model", "m1")
    assert merged["calibration"] == "c3" and merged["windows"] == 8 and merged["tokens"] == 128
    assert merged["model"] == "m1" and merged["gram"] is True
    assert js("calibration", "release", "c3")["released"] is True

    score = ok("score", "--model", "m1", "--calibration", "c1", "--sparsity", "0.25")
    header = next(line for line in score.stdout.splitlines() if "keepRatio" in line)
    assert header.split()[:4] == ["block", "importance", "meanImportance", "keepRatio"]
    pruned = js("prune", "--model", "m1", "--calibration", "c1", "--sparsity", "0.25", "--method", "wanda-sp")
    assert pruned["pruned"] == "m2" and pruned["options"]["method"] == "wanda-sp"
    assert pruned["parametersAfter"] < pruned["parametersBefore"]

    evaluation = js("evaluate", "--model", "m2", "--path", text_file, "--window-size", "16", "--max-windows", "3")
    assert evaluation["windows"] == 3 and evaluation["perplexity"] > 1
    assert js("evaluate", "--model", "m1", "--tokens", ",".join(map(str, range(33))),
              "--window-size", "16")["windows"] == 2
    plain = ok("evaluate", "--model", "m1", "--text", "the quick brown fox " * 20, "--window-size", "16")
    assert "perplexity:" in plain.stdout
    assert plain.stderr == "", "off a terminal, progress shows only with --progress"

    target = tmp_path / "out.gguf"
    exported = js("export", "--model", "m2", str(target), "--precision", "bf16")
    assert exported["path"] == str(target) and target.stat().st_size == exported["bytes"]
    refused = cli("export", "--model", "m2", str(target), *s)
    assert refused.returncode == USAGE and "pass --overwrite" in refused.stderr
    assert js("export", "--model", "m2", str(target), "--overwrite")["bytes"] > 0
    saved_again = cli("calibration", "save", "c1", str(tmp_path / "c.json"), *s)
    assert saved_again.returncode == USAGE and "pass --overwrite" in saved_again.stderr
    assert js("call", "model/describe", '{"model":"m2"}')["parent"] == "m1"

    tuned = js("finetune", "--model", "m2", "--path", text_file, "--steps", "2", "--calibration", "c1",
               "--sequence-length", "16", "--rank", "2")
    assert tuned["finetuned"] == "m3" and tuned["stepsCompleted"] == 2 and len(tuned["lossCurve"]) == 2
    assert js("model", "describe", "m3")["config"]["intermediateSizes"] == pruned["widths"]
    assert js("model", "unload", "m3")["unloaded"] is True

    assert js("model", "unload", "m2")["unloaded"] is True
    missing = cli("model", "describe", "m2", "--json", *s)
    assert missing.returncode == DAEMON_ERROR
    assert json.loads(missing.stdout)["error"]["code"] == 1001
    assert "no model 'm2'" in missing.stderr

    status = ok("daemon", "status")
    assert "is running on " + socket_daemon in status.stdout and "m1" in status.stdout
    assert js("daemon", "status")["running"] is True


def test_model_list_is_one_short_line_per_model(cli, socket_daemon: str, tiny_model: str) -> None:
    s = ["--socket", socket_daemon]
    assert cli("model", "list", *s).stdout.strip() == "no models loaded (cfsp model load FILE)"
    assert cli("model", "load", tiny_model, *s).returncode == 0
    lines = cli("model", "list", *s).stdout.splitlines()
    assert lines[0].split() == ["model", "architecture", "layers", "parameters", "precision", "parent", "path"]
    assert lines[1].split()[:3] == ["m1", "llama", "2"] and lines[1].endswith(tiny_model)
    assert "{" not in "".join(lines) and all(len(line) <= 80 + len(tiny_model) for line in lines)


def test_progress_bar_shows_rate_and_clears_itself(cli, socket_daemon: str, tiny_model: str,
                                                   long_text_file: str) -> None:
    s = ["--socket", socket_daemon]
    assert cli("model", "load", tiny_model, *s).returncode == 0
    result = cli("evaluate", "--model", "m1", "--path", long_text_file, "--window-size", "8", "--max-windows",
                 "20000", "--progress", "bar", *s)
    assert result.returncode == 0, result.stderr
    assert "evaluate [" in result.stderr and "tok/s" in result.stderr and "window " in result.stderr
    assert result.stderr.endswith("\x1b[2K"), "the bar is cleared when the request ends"
    assert "completed" not in result.stderr and "perplexity:" in result.stdout


def test_a_cancelled_finetune_prints_its_result_and_exits_130(cfsp_cli: str, cfspd: str, socket_daemon: str,
                                                                tiny_model: str, text_file: str, cli) -> None:
    s = ["--socket", socket_daemon]
    assert cli("model", "load", tiny_model, *s).returncode == 0
    process = subprocess.Popen(
        [cfsp_cli, "finetune", "--model", "m1", "--path", text_file, "--steps", "100000", "--sequence-length", "16",
         "--rank", "2", "--allocation", "uniform", "--progress", "json", "--json", *s],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=dict(os.environ, CFSPD=cfspd))
    assert process.stderr is not None
    for line in process.stderr:  # wait until steps run
        if '"kind":"report"' in line:
            break
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=60)
    assert process.returncode == CANCELLED, err
    result = json.loads(out)
    assert result["cancelled"] is True and 0 < result["stepsCompleted"] < 100000
    assert err.count("cfsp: finetune cancelled after") == 1, err


def test_sweep_prints_one_row_per_point(cli, socket_daemon: str, tiny_model: str, text_file: str) -> None:
    s = ["--socket", socket_daemon]
    assert cli("model", "load", tiny_model, *s).returncode == 0
    assert cli("calibrate", "--model", "m1", "--path", text_file, "--count", "4", "--window-size", "16",
               *s).returncode == 0
    common = ["sweep", "--model", "m1", "--calibration", "c1", "--path", text_file, "--window-size", "16",
              "--max-windows", "2", *s]
    table = cli(*common, "--sparsities", "0.25,0.5", "--methods", "cfsp,wanda-sp")
    assert table.returncode == 0, table.stderr
    lines = table.stdout.splitlines()
    assert lines[0].split() == ["method", "sparsity", "achieved", "perplexity", "parameters", "removed", "seconds"]
    assert [line.split()[0] for line in lines[1:]] == ["dense", "cfsp", "cfsp", "wanda-sp", "wanda-sp"]
    result = json.loads(cli(*common, "--sparsities", "0.3", "--no-dense", "--json").stdout)
    assert "dense" not in result and [p["sparsity"] for p in result["points"]] == [0.3]
    bad = cli(*common, "--sparsities", "0.3,x")
    assert bad.returncode == USAGE and "--sparsities must be comma-separated numbers" in bad.stderr
    method = cli(*common, "--sparsities", "0.3", "--methods", "wanda")
    assert method.returncode == USAGE and "wanda-sp" in method.stderr
    out_of_range = cli(*common, "--sparsities", "0.3,1.2")
    assert out_of_range.returncode == USAGE and "--sparsities must be in [0, 1), not 1.2" in out_of_range.stderr


def test_quiet_and_invalid_params(cli, socket_daemon: str, tiny_model: str) -> None:
    s = ["--socket", socket_daemon]
    result = cli("model", "load", tiny_model, "--quiet", *s)
    assert result.returncode == 0 and progress_lines(result.stderr) == []
    invalid = cli("call", "model/load", '{"path": 5}', *s)
    assert invalid.returncode == DAEMON_ERROR and "-32602" in invalid.stderr
    unknown = cli("score", "--model", "m1", "--calibration", "c9", "--sparsity", "0.3", *s)
    assert unknown.returncode == DAEMON_ERROR and "1002" in unknown.stderr


def test_ctrl_c_cancels_on_the_daemon(cfsp_cli: str, cfspd: str, socket_daemon: str, tiny_model: str,
                                      long_text_file: str, cli) -> None:
    s = ["--socket", socket_daemon]
    assert cli("model", "load", tiny_model, *s).returncode == 0
    process = subprocess.Popen(
        [cfsp_cli, "evaluate", "--model", "m1", "--path", long_text_file, "--window-size", "8", "--progress", "json", *s],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=dict(os.environ, CFSPD=cfspd))
    lines: List[str] = []
    assert process.stderr is not None
    for line in process.stderr:  # wait until the job runs
        lines.append(line)
        if '"kind":"begin"' in line:
            break
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=60)
    assert process.returncode == CANCELLED, err
    assert "cancelled" in err
    events = progress_lines("".join(lines) + err)
    assert events[-1]["value"]["kind"] == "end" and events[-1]["value"]["outcome"] == "cancelled"
    assert cli("model", "list", *s).returncode == 0  # the daemon still serves


def test_daemon_start_status_stop(cli, tmp_path: Path) -> None:
    path = str(tmp_path / "managed.sock")
    started = cli("daemon", "start", "--socket", path, "--json")
    assert started.returncode == 0, started.stderr
    info = json.loads(started.stdout)
    assert info["started"] is True and info["running"] is True
    try:
        again = cli("daemon", "start", "--socket", path)
        assert again.returncode == 0 and "already running" in again.stdout
        assert cli("daemon", "status", "--socket", path).returncode == 0
    finally:
        stopped = cli("daemon", "stop", "--socket", path)
    assert stopped.returncode == 0, stopped.stderr
    assert not Path(path).exists()
    assert cli("daemon", "status", "--socket", path).returncode == UNAVAILABLE


def test_run_pipeline_with_a_private_daemon(cli, tiny_model: str, text_file: str, tmp_path: Path) -> None:
    output = tmp_path / "pruned.gguf"
    args = ["run", "--spawn", tiny_model, "--path", text_file, "--count", "4", "--window-size", "16",
            "--eval-path", text_file, "--eval-window-size", "16", "--max-windows", "4", "--progress", "json",
            "--export-path", str(output)]
    result = cli(*args)
    assert result.returncode == 0, result.stderr
    for row in ("dense perplexity", "pruned perplexity", "parameters removed", "time: calibrate",
                "time: evaluate pruned", "time: export", "exported"):
        assert row in result.stdout
    assert str(output) in result.stdout and output.exists()
    titles = [e["value"]["title"] for e in progress_lines(result.stderr) if e["value"]["kind"] == "begin"]
    assert titles == ["run"]  # one request: the daemon's run method
    reports = [e["value"] for e in progress_lines(result.stderr) if e["value"]["kind"] == "report"]
    announced = [r["stage"] for i, r in enumerate(reports) if i == 0 or reports[i - 1]["stage"] != r["stage"]]
    assert announced == ["load", "calibrate", "evaluateDense", "prune", "evaluatePruned", "export"]

    again = cli(*args, "--json", "--overwrite", "--sparsity", "0.5")
    assert again.returncode == 0, again.stderr
    summary = json.loads(again.stdout)["summary"]
    assert summary["exported"] == str(output)
    assert summary["parametersAfter"] < summary["parametersBefore"]
    assert summary["densePerplexity"] > 1 and summary["prunedPerplexity"] > 1
    # The output exists now: without --overwrite the run is refused before any stage starts
    # (no daemon is even spawned, so there is no progress).
    refused = cli(*args)
    assert refused.returncode == USAGE and "pass --overwrite" in refused.stderr and str(output) in refused.stderr
    assert progress_lines(refused.stderr) == []
    short = cli(*args[:-2], "-o", str(output), "--sparsity", "-0.5")
    assert short.returncode == USAGE and "--sparsity must be in [0, 1), not -0.5" in short.stderr


def test_spawn_with_a_missing_daemon(cfsp_cli: str, tmp_path: Path) -> None:
    result = subprocess.run([cfsp_cli, "model", "list", "--spawn", "--daemon-path", str(tmp_path / "none")],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == USAGE and "not an executable" in result.stderr
