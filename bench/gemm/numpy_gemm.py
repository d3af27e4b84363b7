"""numpy side of bench/gemm: GFLOP/s of A @ B.T (f32) on the same shapes as GemmBench.

Prints one line naming the BLAS numpy uses, then "shape M N K gflops" per shape
(best of the timed repeats after two warm-up runs, like the Swift side).
Thread count comes from OPENBLAS_NUM_THREADS (bench/gemm/run sets it).
"""
import argparse
import io
import contextlib
import time

import numpy as np

SHAPES = [(1536, 576), (576, 1536), (576, 576), (192, 576), (49152, 576)]


def blas_description() -> str:
    """Which BLAS numpy calls, via threadpoolctl when installed, else numpy.show_config."""
    try:
        import threadpoolctl

        infos = threadpoolctl.threadpool_info()
        blas = [i for i in infos if i.get("user_api") == "blas"]
        if blas:
            i = blas[0]
            return (f"{i.get('internal_api')} {i.get('version')} ({i.get('architecture')}, "
                    f"{i.get('num_threads')} threads, {i.get('filepath')})")
    except ImportError:
        pass
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        try:
            config = np.show_config(mode="dicts")  # numpy >= 2: returns a dict instead of printing
        except TypeError:
            config = None
            np.show_config()
    if isinstance(config, dict):
        blas = config.get("Build Dependencies", {}).get("blas", {})
        return f"{blas.get('name')} {blas.get('version')} (numpy.show_config; threadpoolctl not installed)"
    text = buffer.getvalue()
    lines = [line.strip() for line in text.splitlines() if "openblas" in line.lower() or "mkl" in line.lower()]
    return "; ".join(lines[:3]) or "unknown (numpy.show_config printed no BLAS name)"


def best_seconds(function, repeats: int, clock=time.perf_counter) -> float:
    function()
    function()
    times = []
    for _ in range(repeats):
        start = clock()
        function()
        times.append(clock() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--m", type=int, default=1024)
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--cpu-time", action="store_true",
                        help="time with this thread's CPU clock (only meaningful with OPENBLAS_NUM_THREADS=1)")
    args = parser.parse_args()
    clock = time.thread_time if args.cpu_time else time.perf_counter
    print(f"blas numpy {np.__version__}: {blas_description()}")
    rng = np.random.default_rng(0)
    for n, k in SHAPES:
        a = rng.uniform(-1, 1, size=(args.m, k)).astype(np.float32)
        b = rng.uniform(-1, 1, size=(n, k)).astype(np.float32)
        out = np.empty((args.m, n), dtype=np.float32)
        seconds = best_seconds(lambda: np.matmul(a, b.T, out=out), args.repeats, clock)
        print(f"shape {args.m} {n} {k} {2.0 * args.m * n * k / seconds * 1e-9}")


if __name__ == "__main__":
    main()
