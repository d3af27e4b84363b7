"""The Python client against a real cfspd on the tiny test model."""

from __future__ import annotations

import _thread
import os
import re
import signal
import threading
import time
from pathlib import Path

import pytest

import cfsp
from cfsp import Client


@pytest.fixture
def client(cfspd: str):
    with Client.spawn(daemon_path=cfspd, show_progress=False) as daemon:
        yield daemon


@pytest.fixture
def loaded(client: Client, tiny_model: str, text_file: str):
    model = client.load_model(tiny_model)
    calibration = client.calibrate(model, path=text_file, count=4, window_size=16, seed=3)
    return client, model, calibration


def test_initialize_reports_server_and_methods(client: Client) -> None:
    assert client.server.name == "cfspd"
    assert client.server.version
    for method in ("model/load", "calibrate", "score", "prune", "evaluate", "export", "$/cancelRequest"):
        assert method in client.server.methods
    assert client.server.capabilities["framing"] == "content-length"


def test_model_methods(client: Client, tiny_model: str) -> None:
    info = client.load_model(tiny_model)
    assert isinstance(info, cfsp.ModelInfo)
    assert info.model == "m1" and info.format == "gguf" and info.architecture == "llama"
    assert info.config["layers"] == 2 and info.has_tokenizer is True and info.parent is None
    assert info.parameters and info.ffn_parameters and info.ffn_parameters < info.parameters
    assert [m.model for m in client.list_models()] == ["m1"]
    assert client.describe_model("m1") == info
    unloaded = client.unload_model(info)
    assert unloaded.unloaded is True and unloaded.model == "m1"
    assert client.list_models() == []


def test_calibrate_score_prune_evaluate_export(loaded, text_file: str, tmp_path: Path) -> None:
    client, model, calibration = loaded
    assert isinstance(calibration, cfsp.Calibration)
    assert calibration.calibration == "c1" and calibration.model == model.model
    assert calibration.windows == 4 and calibration.window_size == 16 and calibration.tokens == 64
    assert len(calibration.importance) == 2 and all(v > 0 for v in calibration.importance)

    score = client.score(model, calibration, 0.25)
    assert isinstance(score, cfsp.ScoreResult)
    assert score.total_neurons == 96 and score.kept_neurons is not None and score.kept_neurons < 96
    assert [row["block"] for row in score.blocks] == [0, 1]
    assert sum(row["kept"] for row in score.blocks) == score.kept_neurons
    assert score.options["method"] == "cfsp"

    pruned = client.prune(model, calibration, 0.25, method="activation", align=2)
    assert isinstance(pruned, cfsp.PruneResult)
    assert pruned.pruned == "m2" and pruned.options["method"] == "activation"
    assert all(width % 2 == 0 for width in pruned.widths)
    assert pruned.parameters_after < pruned.parameters_before
    assert pruned.share_removed == pytest.approx(
        1 - pruned.parameters_after / pruned.parameters_before, rel=1e-6)
    assert client.describe_model(pruned).parent == "m1"
    uniform = client.prune(model, calibration, 0.25, scale=1, uniform_widths=True)
    assert uniform.options["uniformWidths"] is True and len(set(uniform.widths)) == 1

    dense = client.evaluate(model, path=text_file, window_size=16, max_windows=4)
    after = client.evaluate(pruned, path=text_file, window_size=16, max_windows=4)
    assert isinstance(dense, cfsp.Evaluation)
    assert dense.windows == 4 and dense.window_size == 16 and dense.perplexity > 1
    assert after.model == "m2" and after.perplexity != dense.perplexity
    inline = client.evaluate(model, tokens=list(range(40)), window_size=16)
    assert inline.windows == 2

    target = tmp_path / "pruned.gguf"
    exported = client.export(pruned, str(target), precision="f16")
    assert isinstance(exported, cfsp.ExportResult)
    assert exported.path == str(target) and target.stat().st_size == exported.bytes
    assert exported.has_tokenizer is True
    # The stored types, as gguf-py reads the file: matrices f16, norms f32.
    import gguf
    from collections import Counter
    stored = Counter(t.tensor_type.name for t in gguf.GGUFReader(str(target)).tensors)
    assert exported.type_counts() == dict(stored) and set(stored) == {"F16", "F32"}
    assert exported.tensors == sum(stored.values())
    assert sum(t["bytes"] for t in exported.tensor_types) < exported.bytes
    assert list(exported.to_dataframe().columns) == ["type", "tensors", "bytes"]
    reloaded = client.load_model(str(target))
    assert reloaded.config["intermediateSizes"] == pruned.widths

    # A quantized precision for a Hugging Face folder is refused up front, naming the member.
    folder = tmp_path / "nested" / "pruned-hf"
    with pytest.raises(cfsp.InvalidParams) as refused:
        client.export(pruned, str(folder), format="hf", precision="q4_k_m")
    assert refused.value.data["member"] == "precision"
    assert refused.value.data["accepted"] == ["f32", "f16", "bf16"]
    assert not folder.parent.exists()
    # The missing parent folders are made; per-layer widths come with modeling_cfsp.py.
    hf = client.export(pruned, str(folder), format="hf")
    assert hf.has_tokenizer is True
    written = {p.name for p in folder.iterdir()}
    assert {"config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json"} <= written
    assert ("modeling_cfsp.py" in written) == (len(set(pruned.widths)) > 1)


def test_run_is_the_stages_in_one_request(client: Client, tiny_model: str, text_file: str,
                                          tmp_path: Path) -> None:
    target = tmp_path / "run.gguf"
    events = []
    result = client.run(tiny_model, path=text_file, count=4, window_size=16, seed=3, eval_window_size=16,
                        max_windows=4, sparsity=0.25, method="activation", align=2, export_path=str(target),
                        export_precision="f16", progress=events.append)
    assert isinstance(result, cfsp.RunResult)
    assert isinstance(result.pruning, cfsp.PruneResult) and isinstance(result.export, cfsp.ExportResult)
    assert result.model.model == "m1" and result.pruning.pruned == "m2" and result.calibration.calibration == "c1"
    assert result.pruning.options["method"] == "activation" and result.pruning.options["sparsity"] == 0.25
    assert all(width % 2 == 0 for width in result.pruning.widths)
    assert [stage["stage"] for stage in result.stages] == [
        "load", "calibrate", "evaluateDense", "prune", "evaluatePruned", "export"]
    assert result.total_seconds == pytest.approx(sum(stage["seconds"] for stage in result.stages))
    assert target.stat().st_size == result.export.bytes and result.export.precision == "f16"

    # The same stages sent one by one give the same figures.
    model = client.load_model(tiny_model)
    calibration = client.calibrate(model, path=text_file, count=4, window_size=16, seed=3)
    dense = client.evaluate(model, path=text_file, window_size=16, max_windows=4)
    pruned = client.prune(model, calibration, 0.25, method="activation", align=2)
    after = client.evaluate(pruned, path=text_file, window_size=16, max_windows=4)
    assert result.dense_evaluation.perplexity == dense.perplexity
    assert result.pruned_evaluation.perplexity == after.perplexity
    assert result.pruning.widths == pruned.widths
    assert {event.fields.get("stage") for event in events if event.kind == "report"} >= {"calibrate", "prune", "export"}


def test_run_release_and_a_failing_stage(client: Client, tiny_model: str, text_file: str, tmp_path: Path) -> None:
    released = client.run(tiny_model, path=text_file, count=2, window_size=16, eval_window_size=16, max_windows=2,
                          release=True)
    assert released.released is True and released.export is None
    assert released.pruning.options["sparsity"] == 0.3  # run's default
    assert client.list_models() == []
    existing = tmp_path / "exists.gguf"
    existing.write_text("keep")
    with pytest.raises(cfsp.CannotWrite) as failure:
        client.run(tiny_model, path=text_file, count=2, window_size=16, eval_window_size=16, max_windows=2,
                   export_path=str(existing))
    assert failure.value.message.startswith("export: ") and failure.value.data["stage"] == "export"
    assert existing.read_text() == "keep" and client.list_models() == []
    with pytest.raises(TypeError, match="unknown pruning option"):
        client.run(tiny_model, path=text_file, window=3)


def test_run_streamed_exports_the_loaded_runs_file(client: Client, tiny_model: str, text_file: str,
                                                   tmp_path: Path) -> None:
    common = dict(path=text_file, count=4, window_size=16, seed=3, sparsity=0.25, align=2)
    loaded_path, streamed_path = tmp_path / "loaded.gguf", tmp_path / "streamed.gguf"
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    loaded = client.run(tiny_model, eval_window_size=16, max_windows=2, export_path=str(loaded_path),
                        release=True, **common)
    events = []
    streamed = client.run(tiny_model, export_path=str(streamed_path), streamed=True, scratch=str(scratch),
                          progress=events.append, **common)
    assert streamed_path.read_bytes() == loaded_path.read_bytes()
    assert streamed.streamed is True and loaded.streamed is False
    assert streamed.dense_evaluation is None and streamed.pruned_evaluation is None
    assert loaded.dense_evaluation is not None and loaded.dense_evaluation.perplexity > 0
    assert streamed.model.model == "" and streamed.pruning.pruned == "" and "model" not in streamed.raw["export"]
    assert streamed.model.parameters == loaded.model.parameters and streamed.model.config == loaded.model.config
    assert streamed.pruning.widths == loaded.pruning.widths and streamed.pruning.blocks == loaded.pruning.blocks
    assert streamed.pruning.parameters_after == loaded.pruning.parameters_after
    assert streamed.export is not None and streamed.export.bytes == streamed_path.stat().st_size
    assert [stage["stage"] for stage in streamed.stages] == ["load", "calibrate", "prune", "export"]
    assert {event.fields.get("stage") for event in events if event.kind == "report"} == {
        "load", "calibrate", "prune", "export"}
    assert list(scratch.iterdir()) == [], "the temporary files are unlinked as they are made"
    assert client.list_models() == [], "a streamed run loads no model"
    client.release_calibration(streamed.calibration.calibration)  # kept, as a loaded run keeps it

    with pytest.raises(cfsp.InvalidParams) as refused:
        client.run(tiny_model, streamed=True, **common)
    assert refused.value.data["member"] == "exportPath"
    with pytest.raises(cfsp.InvalidParams) as refused:
        client.run(tiny_model, streamed=True, export_path=str(tmp_path / "x"), export_format="hf", **common)
    assert refused.value.data["member"] == "exportFormat"
    with pytest.raises(cfsp.CannotWrite) as missing:
        client.run(tiny_model, streamed=True, export_path=str(tmp_path / "y.gguf"), scratch=str(tmp_path / "none"),
                   **common)
    assert "'scratch' must name an existing folder" in missing.value.message


def test_sweep_table_and_plot(loaded, text_file: str) -> None:
    pandas = pytest.importorskip("pandas")
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    client, model, calibration = loaded
    sweep = client.sweep(model, calibration, [0.25, 0.5], methods=["cfsp", "activation"], path=text_file,
                         window_size=16, max_windows=3, align=2)
    assert isinstance(sweep, cfsp.SweepResult) and isinstance(sweep.dense, cfsp.Evaluation)
    frame = sweep.to_dataframe()
    assert isinstance(frame, pandas.DataFrame)
    assert list(frame.columns)[:6] == ["method", "sparsity", "achieved_sparsity", "perplexity", "parameters",
                                       "share_removed"]
    assert list(frame["method"]) == ["cfsp", "cfsp", "activation", "activation"]
    assert list(frame["sparsity"]) == [0.25, 0.5, 0.25, 0.5]
    pruned = client.prune(model, calibration, 0.5, method="activation", align=2)
    after = client.evaluate(pruned, path=text_file, window_size=16, max_windows=3)
    assert frame["perplexity"].iloc[3] == after.perplexity and frame["widths"].iloc[3] == pruned.widths
    assert [m.model for m in client.list_models()] == ["m1", pruned.pruned], "the sweep's models were freed"
    ax = sweep.plot()
    assert len(ax.lines) == 3  # two methods and the dense line
    with pytest.raises(TypeError, match="methods="):
        client.sweep(model, calibration, [0.3], path=text_file, method="cfsp")


def test_compensation_budget_rule_and_gram(loaded, tiny_model: str, text_file: str) -> None:
    client, model, calibration = loaded
    assert calibration.gram is True
    default = client.prune(model, calibration, 0.25)
    assert default.options["compensation"] == "least-squares" and default.options["budgetRule"] == "per-token"
    plain = client.prune(model, calibration, 0.25, compensation="none")
    assert plain.options["compensation"] == "none" and plain.widths == default.widths
    obs = client.prune(model, calibration, 0.25, compensation="obs", budget_rule="paper", damping=0.1)
    assert obs.options["compensation"] == "obs" and obs.options["budgetRule"] == "paper"
    assert obs.options["damping"] == 0.1
    assert client.prune(model, calibration, 0.25, method="flap").options["compensation"] == "none"
    without = client.calibrate(model, path=text_file, count=4, window_size=16, seed=3, gram=False)
    assert without.gram is False
    with pytest.raises(cfsp.InvalidForModel) as refused:
        client.prune(model, without, 0.25)
    assert "compensation: none" in str(refused.value)
    assert client.prune(model, without, 0.25, compensation="none").widths == plain.widths
    with pytest.raises(cfsp.InvalidParams):
        client.prune(model, calibration, 0.25, damping=0)


def test_calibration_save_load_release(loaded, tmp_path: Path) -> None:
    client, model, calibration = loaded
    path = tmp_path / "calibration.json"
    saved = client.save_calibration(calibration, str(path))
    assert saved.path == str(path) and path.stat().st_size == saved.bytes
    with pytest.raises(cfsp.CannotWrite) as refused:
        client.save_calibration(calibration, str(path))
    assert refused.value.code == 1007
    again = client.load_calibration(str(path), model=model)
    assert again.calibration != calibration.calibration
    assert again.importance == pytest.approx(calibration.importance)
    assert client.release_calibration(calibration).released is True
    with pytest.raises(cfsp.CalibrationNotFound):
        client.release_calibration(calibration)


def test_progress_events_reach_the_callback(client: Client, tiny_model: str, text_file: str) -> None:
    events: list[cfsp.ProgressEvent] = []
    model = client.load_model(tiny_model)
    client.calibrate(model, path=text_file, count=4, window_size=16, progress=events.append)
    kinds = [event.kind for event in events]
    assert kinds[0] == "begin" and kinds[-1] == "end" and "report" in kinds
    assert events[0].title == "calibrate"
    assert events[-1].outcome == "completed"
    reports = [event for event in events if event.kind == "report"]
    assert all(0 <= event.percentage <= 100 for event in reports)
    assert reports[-1].fields["windows"] == 4 and "tokensPerSecond" in reports[-1].fields


def test_tqdm_progress_renders_without_errors(cfspd: str, tiny_model: str, text_file: str, capsys) -> None:
    pytest.importorskip("tqdm")
    with Client.spawn(daemon_path=cfspd) as daemon:  # show_progress defaults to tqdm
        model = daemon.load_model(tiny_model)
        daemon.evaluate(model, path=text_file, window_size=16, max_windows=3)
    assert "evaluate" in capsys.readouterr().err


def test_several_requests_in_flight(loaded, text_file: str) -> None:
    client, model, _ = loaded
    pending = [client.submit("evaluate", {"model": model.model, "path": text_file, "windowSize": 16,
                                          "maxWindows": 2 + i}) for i in range(3)]
    listing = client.submit("model/list")
    assert [p.result(timeout=60)["windows"] for p in pending] == [2, 3, 4]
    assert listing.result(timeout=60)["models"][0]["model"] == "m1"
    results: dict[int, float] = {}

    def evaluate(i: int) -> None:
        results[i] = client.evaluate(model, path=text_file, window_size=16, max_windows=2).perplexity

    threads = [threading.Thread(target=evaluate, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(results) == 4 and len(set(results.values())) == 1


def test_cancel_answers_request_cancelled(loaded, long_text_file: str) -> None:
    client, model, _ = loaded
    events: list[cfsp.ProgressEvent] = []
    running = threading.Event()

    def on_progress(event: cfsp.ProgressEvent) -> None:
        events.append(event)
        running.set()

    request = client.submit("evaluate", {"model": model.model, "path": long_text_file, "windowSize": 16},
                            progress=on_progress)
    assert running.wait(30), "the evaluation began"
    request.cancel()
    with pytest.raises(cfsp.RequestCancelled) as cancelled:
        request.result(timeout=60)
    assert cancelled.value.code == -32800
    assert events[-1].kind == "end" and events[-1].outcome == "cancelled"
    assert client.list_models()[0].model == "m1"  # still serving


def test_keyboard_interrupt_cancels_on_the_daemon_and_reraises(loaded, text_file: str,
                                                               long_text_file: str) -> None:
    client, model, _ = loaded
    events: list[cfsp.ProgressEvent] = []

    interrupted = threading.Event()

    def on_progress(event: cfsp.ProgressEvent) -> None:
        events.append(event)
        if event.kind == "report" and not interrupted.is_set():
            interrupted.set()
            _thread.interrupt_main()  # as Ctrl-C (or Jupyter's interrupt) while the job runs

    # A process started in the background by a non-interactive shell ignores SIGINT, and
    # interrupt_main() then does nothing: give the test Python's own handler, as a terminal has.
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    started = time.monotonic()
    try:
        with pytest.raises(KeyboardInterrupt):
            client.evaluate(model, path=long_text_file, window_size=8, progress=on_progress)
    finally:
        signal.signal(signal.SIGINT, previous)
    assert time.monotonic() - started < 15  # the evaluation alone takes longer
    assert interrupted.is_set(), f"no report came: {[e.kind for e in events]}"
    assert events and events[-1].kind == "end" and events[-1].outcome == "cancelled"
    assert client.evaluate(model, path=text_file, window_size=16, max_windows=1).windows == 1


def test_errors_are_typed_with_code_message_and_data(client: Client, tiny_model: str) -> None:
    with pytest.raises(cfsp.ModelNotFound) as missing:
        client.describe_model("m9")
    assert missing.value.code == 1001 and missing.value.data == {"model": "m9"}
    assert "m9" in missing.value.message and missing.value.method == "model/describe"
    with pytest.raises(cfsp.CannotLoad) as unreadable:
        client.load_model("/nonexistent/model.gguf")
    assert unreadable.value.data["path"] == "/nonexistent/model.gguf"
    with pytest.raises(cfsp.MethodNotFound):
        client.request("no/such/method", {})
    with pytest.raises(cfsp.InvalidParams) as invalid:
        client.request("model/load", {"path": 3})
    assert invalid.value.code == -32602 and "path" in invalid.value.message
    model = client.load_model(tiny_model)
    with pytest.raises(cfsp.BadData):
        client.calibrate(model, text="too short", count=4, window_size=64)
    with pytest.raises(cfsp.InvalidParams) as out_of_range:
        client.score(model, "c9", 1.5)
    assert out_of_range.value.data == {"member": "sparsity", "minimum": 0, "exclusiveMaximum": 1}
    assert "'sparsity' must be in [0, 1), not 1.5" in out_of_range.value.message
    with pytest.raises(cfsp.InvalidParams) as unknown:
        client.prune(model, "c9", 0.3, method="wanda")
    assert unknown.value.data["member"] == "method" and "wanda-sp" in unknown.value.data["accepted"]
    with pytest.raises(TypeError, match="unknown pruning option"):
        client.score(model, "c1", 0.3, temprature=2)
    assert isinstance(missing.value, cfsp.RpcError) and isinstance(missing.value, cfsp.CfspError)


def test_connect_to_a_socket_shares_handles_between_clients(socket_daemon: str, tiny_model: str) -> None:
    with Client.connect(socket_daemon, show_progress=False) as first, \
         Client.connect(socket_daemon, show_progress=False, framing="content-length") as second:
        model = first.load_model(tiny_model)
        assert second.describe_model(model.model).path == tiny_model


def test_connect_without_a_daemon_says_how_to_start_one(tmp_path: Path) -> None:
    path = str(tmp_path / "nobody.sock")
    with pytest.raises(cfsp.DaemonNotRunning) as error:
        Client.connect(path)
    assert path in str(error.value) and "cfsp daemon start" in str(error.value)


def test_spawn_with_a_missing_daemon_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(cfsp.DaemonNotFound, match="not an executable"):
        Client.spawn(daemon_path=str(tmp_path / "cfspd"))


def test_ndjson_framing(cfspd: str) -> None:
    with Client.spawn(daemon_path=cfspd, framing="ndjson", show_progress=False) as daemon:
        assert daemon.server.capabilities["framing"] == "ndjson"
        assert daemon.list_models() == []


def test_daemon_that_dies_fails_pending_requests(cfspd: str, tiny_model: str, long_text_file: str) -> None:
    daemon = Client.spawn(daemon_path=cfspd, show_progress=False)
    model = daemon.load_model(tiny_model)
    request = daemon.submit("evaluate", {"model": model.model, "path": long_text_file, "windowSize": 8})
    daemon._transport.process.kill()  # type: ignore[attr-defined]
    with pytest.raises(cfsp.ConnectionClosed, match="daemon"):
        request.result(timeout=30)
    daemon.close()


def test_tables_and_plot(loaded) -> None:
    pandas = pytest.importorskip("pandas")
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    client, model, calibration = loaded
    pruned = client.prune(model, calibration, 0.3)
    frame = pruned.to_dataframe()
    assert isinstance(frame, pandas.DataFrame)
    assert list(frame["block"]) == [0, 1]
    assert list(frame.columns) == ["block", "importance", "mean_importance", "keep_ratio", "width", "kept",
                                   "threshold"]  # the attributes' snake_case, in the daemon's order
    assert list(calibration.to_dataframe().columns) == ["block", "importance", "mean_importance"]
    assert calibration.to_dataframe()["importance"].tolist() == pytest.approx(calibration.importance)
    ax = pruned.plot()
    assert len(ax.patches) == 2  # one importance bar per block
    share = ax.figure.axes[1].lines[0].get_ydata()
    assert list(share) == pytest.approx(list(frame["keep_ratio"]))


def test_finetune_recovers_a_pruned_model_into_a_new_handle(loaded, text_file: str) -> None:
    client, model, calibration = loaded
    pruned = client.prune(model, calibration, 0.3)
    events = []
    result = client.finetune(pruned.pruned, 3, path=text_file, calibration=calibration, sequence_length=16,
                             rank=2, progress=events.append)
    assert isinstance(result, cfsp.FinetuneResult)
    assert result.model == pruned.pruned and result.finetuned not in (model.model, pruned.pruned)
    assert result.steps_completed == 3 and len(result.loss_curve) == 3 and result.cancelled is False
    assert len(result.ranks) == 2 and result.trainable_parameters > 0
    described = client.describe_model(result.finetuned)
    assert described.config["intermediateSizes"] == pruned.widths
    steps = [e.fields.get("step") for e in events if e.kind == "report"]
    assert steps and all(1 <= s <= 3 for s in steps)  # reports are rate-limited, so some may merge
    with pytest.raises(cfsp.BadData):
        client.finetune(pruned.pruned, 2, path=text_file)  # importance ranks need a calibration


def test_finetune_distills_the_pruned_model_from_the_dense_one(loaded, text_file: str) -> None:
    client, model, calibration = loaded
    pruned = client.prune(model, calibration, 0.3)
    result = client.finetune(pruned, 3, path=text_file, allocation="uniform", sequence_length=16, rank=2,
                             objective="distillation", teacher=model, distillation_temperature=2.0, lora_plus_ratio=4.0,
                             distillation_lm_weight=0.1)
    assert result.model == pruned.pruned and result.steps_completed == 3
    assert all(loss > 0 for loss in result.loss_curve)  # the pruned model differs from its teacher
    with pytest.raises(cfsp.BadData):
        client.finetune(pruned, 1, path=text_file, allocation="uniform", objective="distillation")  # no teacher


def test_the_daemon_logs_each_request_at_info(cfspd: str, tiny_model: str, tmp_path: Path) -> None:
    import subprocess

    from conftest import wait_for_socket

    path = str(tmp_path / "log.sock")
    process = subprocess.Popen([cfspd, "serve", "--socket", path, "--no-stdio", "--log-level", "info"],
                               stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                               text=True)
    try:
        wait_for_socket(path, process)
        with Client.connect(path, show_progress=False) as client:
            client.load_model(tiny_model)
            with pytest.raises(cfsp.ModelNotFound):
                client.describe_model("m9")
    finally:
        process.send_signal(signal.SIGTERM)
        _, log = process.communicate(timeout=15)
    assert re.search(r"model/load \(id \d+\) completed in [0-9.]+ ms", log), log
    assert re.search(r"model/describe \(id \d+\) failed in [0-9.]+ ms: error 1001: ", log), log

