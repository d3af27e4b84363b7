"""cfsp.distributed on a local Ray cluster of 2 CPUs with the tiny test model: the merged
calibration equals the single-process one, a worker that dies is retried without double
counting, and a distributed sweep gives the single-process sweep's points."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any, Dict

import pytest
import ray

from cfsp import Client
from cfsp.distributed import calibrate_distributed, calibrate_share, draw_starts, split, sweep_distributed

CLIENT_ROOT = str(Path(__file__).resolve().parents[1])
ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])  # the dying worker below travels by value


@pytest.fixture(scope="module")
def cluster():
    """A local Ray cluster of 2 CPUs whose workers import this checkout's cfsp."""
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False,
             runtime_env={"env_vars": {"PYTHONPATH": CLIENT_ROOT}})
    yield
    ray.shutdown()


def statistics(client: Client, calibration: str, path: Path) -> Dict[str, Any]:
    client.save_calibration(calibration, str(path), overwrite=True)
    return json.loads(path.read_text(encoding="utf-8"))


def assert_same_statistics(got: Dict[str, Any], want: Dict[str, Any]) -> None:
    """Every number of two saved calibrations within 1e-6 relative (Gram triangles decoded)."""
    import base64
    import struct

    def close(x: float, y: float) -> bool:
        return abs(x - y) <= max(1e-6 * abs(y), 1e-9)

    for key in ("windows", "windowSize", "tokens", "hiddenSize", "formatVersion"):
        assert got[key] == want[key], key
    assert len(got["blocks"]) == len(want["blocks"])
    for g, w in zip(got["blocks"], want["blocks"]):
        assert set(g) == set(w)
        for key in ("angularSum", "cosineSum", "mseSum", "maeSum"):
            assert close(g[key], w[key]), key
        for key in ("activationSum", "activationSquareSum"):
            assert len(g[key]) == len(w[key]) and all(map(close, g[key], w[key])), key
        if "gram" in w:
            assert g["gram"]["size"] == w["gram"]["size"]
            decode = lambda m: struct.unpack(f"<{len(m) // 8}d", m)  # noqa: E731
            gg = decode(base64.b64decode(g["gram"]["upperTriangleFloat64Base64"]))
            wg = decode(base64.b64decode(w["gram"]["upperTriangleFloat64Base64"]))
            assert len(gg) == len(wg) and all(map(close, gg, wg))


def test_draw_and_split() -> None:
    assert split(list(range(5)), 2) == [[0, 1, 2], [3, 4]]
    assert split([1], 3) == [[1]]
    starts = draw_starts(100, 16, 4, seed=3)
    assert len(starts) == 4 and all(0 <= s <= 100 - 16 - 1 for s in starts)
    with pytest.raises(ValueError):
        draw_starts(16, 16, 1, seed=0)


def test_merged_equals_single_process(cluster, cfspd: str, tiny_model: str, text_file: str, tmp_path: Path) -> None:
    with calibrate_distributed(tiny_model, path=text_file, count=7, window_size=16, seed=3, workers=2,
                               daemon_path=cfspd) as result:
        assert [p["windows"] for p in result.parts] == [4, 3]
        assert result.calibration.windows == 7 and result.calibration.tokens == 7 * 16
        assert result.calibration.model == result.model.model and result.calibration.gram
        single = result.client.calibrate(result.model, path=text_file, count=7, window_size=16, seed=3,
                                         progress=False)
        assert_same_statistics(statistics(result.client, result.calibration.calibration, tmp_path / "merged.json"),
                               statistics(result.client, single.calibration, tmp_path / "single.json"))
        a = result.client.score(result.model, result.calibration, 0.3)
        b = result.client.score(result.model, single, 0.3)
        assert [x["kept"] for x in a.blocks] == [x["kept"] for x in b.blocks]


def dies_once(marker: Path):
    """calibrate_share, except that the first attempt of share 0 calibrates and then kills its
    worker process before returning (``marker`` remembers the attempt and the dead pid)."""

    def share_function(model_path: str, windows, *, share: int, **options: Any) -> Dict[str, Any]:
        part = calibrate_share(model_path, windows, share=share, **options)
        if share == 0 and not marker.exists():
            marker.write_text(str(os.getpid()), encoding="utf-8")
            os._exit(1)
        return part

    return share_function


def test_dead_worker_is_retried_once(cluster, cfspd: str, tiny_model: str, text_file: str, tmp_path: Path) -> None:
    marker = tmp_path / "died"
    with Client.spawn(cfspd, show_progress=False) as driver:
        model = driver.load_model(tiny_model, progress=False)
        tokens = driver.tokenize(model, Path(text_file).read_text(encoding="utf-8"), add_special=True)
        windows = [tokens[s:s + 16] for s in draw_starts(len(tokens), 16, 6, seed=5)]
        result = calibrate_distributed(tiny_model, windows=windows, workers=2, daemon_path=cfspd, client=driver,
                                       model=model, share_function=dies_once(marker), max_retries=2)
        assert marker.exists(), "the first attempt of share 0 died"
        assert result.parts[0]["pid"] != int(marker.read_text(encoding="utf-8")), "share 0 came from another worker"
        assert [p["windows"] for p in result.parts] == [3, 3] and result.calibration.windows == 6
        single = driver.calibrate(model, windows=windows, progress=False)
        assert_same_statistics(statistics(driver, result.calibration.calibration, tmp_path / "merged.json"),
                               statistics(driver, single.calibration, tmp_path / "single.json"))


def test_sweep_distributed_gives_the_single_process_points(cluster, cfspd: str, tiny_model: str, text_file: str,
                                                           tmp_path: Path) -> None:
    with Client.spawn(cfspd, show_progress=False) as driver:
        model = driver.load_model(tiny_model, progress=False)
        calibration = driver.calibrate(model, path=text_file, count=4, window_size=16, progress=False)
        saved = tmp_path / "calibration.json"
        driver.save_calibration(calibration, str(saved))
        text = Path(text_file).read_text(encoding="utf-8")[:4000]
        sparsities = [0.2, 0.5, 0.4]
        single = driver.sweep(model, calibration, sparsities, ["cfsp", "wanda-sp"], text=text, window_size=16,
                              progress=False)
    spread = sweep_distributed(tiny_model, str(saved), sparsities, ["cfsp", "wanda-sp"], workers=2, text=text,
                               window_size=16, daemon_path=cfspd)
    assert [(p["method"], p["sparsity"]) for p in spread.points] == [(p["method"], p["sparsity"]) for p in single.points]
    for got, want in zip(spread.points, single.points):
        assert got["widths"] == want["widths"]
        assert abs(got["perplexity"] - want["perplexity"]) <= 1e-9 * want["perplexity"]
    assert spread.dense.perplexity == pytest.approx(single.dense.perplexity, rel=1e-12)


def test_a_failing_share_raises_the_daemons_error(cluster, cfspd: str, tiny_model: str) -> None:
    windows = [[1, 2, 3, 4], [5, 6, 7, 10 ** 6]]  # the second share holds a token id outside the vocabulary
    with pytest.raises(Exception, match="outside the vocabulary"):
        calibrate_distributed(tiny_model, windows=windows, workers=2, daemon_path=cfspd, gram=False)
