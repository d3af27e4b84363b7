// Peak of the AMX tile unit: back-to-back TDPBF16PS on register-resident tiles (four
// independent accumulators, no loads in the loop), per thread and for --threads threads at once.
// Each instruction is 2 * 16 * 16 * 32 = 16384 flops. The bf16 GEMM's target (issue 13) is
// >= 50 % of this figure on the SmolLM2 shapes of bench/gemm. On a CPU without AMX-BF16 it prints
// "amx-peak: not available on this CPU: <reason>" and exits 0.
// Usage: AMXPeakBench [--threads N] [--repeats R] [--dot-products D]
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Kernels

func argument(_ name: String, default value: Int) -> Int {
    let arguments = CommandLine.arguments
    if let index = arguments.firstIndex(of: name), index + 1 < arguments.count, let parsed = Int(arguments[index + 1]) {
        return parsed
    }
    return value
}

func now() -> Double {
    var spec = timespec()
    clock_gettime(CLOCK_MONOTONIC, &spec)
    return Double(spec.tv_sec) + Double(spec.tv_nsec) * 1e-9
}

print(VectorISA.summary)
guard AMXSupport.isActive else {
    print("amx-peak: not available on this CPU: \(AMXSupport.unavailable.map(String.init(describing:)) ?? "")")
    exit(0)
}

let threads = max(1, argument("--threads", default: 2))
let repeats = max(1, argument("--repeats", default: 5))
let dotProducts = max(4, argument("--dot-products", default: 1 << 22))
let flopsPerDot = 2.0 * 16 * 16 * 32
let pool = ThreadPool(threads: threads)

/// Fastest of `repeats` timed runs after one warm-up.
func best(_ body: () -> Void) -> Double {
    body()
    var fastest = Double.infinity
    for _ in 0..<repeats {
        let start = now()
        body()
        fastest = min(fastest, now() - start)
    }
    return fastest
}

print("amx-peak: \(dotProducts) tdpbf16ps per thread, best of \(repeats) after 1 warm-up; GFLOP/s = 16384 flops per tdpbf16ps / time")
let single = best { amxDotProductLoop(dotProducts: dotProducts) }
print("amx-peak 1 thread: \(Double(dotProducts) * flopsPerDot / single * 1e-9) GFLOP/s")
if threads > 1 {
    // 16 items per thread, so a thread that wakes late cannot leave its share to the others.
    let items = 16 * threads, perItem = max(4, dotProducts / 16)
    let all = best { pool.parallelFor(items) { _ in amxDotProductLoop(dotProducts: perItem) } }
    print("amx-peak \(threads) threads: \(Double(items * perItem) * flopsPerDot / all * 1e-9) GFLOP/s")
}
