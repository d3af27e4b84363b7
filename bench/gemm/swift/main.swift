// GEMM throughput of the cfsp kernels on the model's linear-layer shapes.
// Prints VectorISA.summary and an "amx:" line (the tile path, or why it is not available), then
// one line per shape: "shape M N K f32_gflops bf16_gflops amx_gflops" (best of the timed repeats
// after warm-up), where bf16 is the vector path (vdpbf16ps; `matmulBF16Vector`) and amx the AMX
// tile path (`matmulBF16Tiles`, hardware), "n/a" on a CPU without AMX-BF16. bench/gemm/run
// merges this with numpy's side.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Kernels

/// `--cpu-time` (meaningful with `--threads 1` only) times with this thread's CPU clock instead
/// of the wall clock: time spent descheduled on a busy machine is not counted, for tuning.
let useThreadCPUClock = CommandLine.arguments.contains("--cpu-time")

/// Seconds on the monotonic wall clock (or this thread's CPU clock with `--cpu-time`).
func now() -> Double {
    var spec = timespec()
    clock_gettime(useThreadCPUClock ? CLOCK_THREAD_CPUTIME_ID : CLOCK_MONOTONIC, &spec)
    return Double(spec.tv_sec) + Double(spec.tv_nsec) * 1e-9
}

/// Deterministic inputs in [-1, 1) (xorshift64*), so runs are comparable.
struct BenchRandom {
    var state: UInt64
    mutating func next() -> Float {
        state ^= state >> 12
        state ^= state << 25
        state ^= state >> 27
        let bits = (state &* 2_685_821_657_736_338_717) >> 40
        return Float(bits) / Float(1 << 23) - 1
    }
}

func argument(_ name: String, default value: Int) -> Int {
    let arguments = CommandLine.arguments
    if let index = arguments.firstIndex(of: name), index + 1 < arguments.count, let parsed = Int(arguments[index + 1]) {
        return parsed
    }
    return value
}

let threads = argument("--threads", default: 2)
let m = argument("--m", default: 1024)
let repeats = max(1, argument("--repeats", default: 10))
/// `--transposed` also times `matmulTransposed` (plain row-major B, packed per call).
let measureTransposed = CommandLine.arguments.contains("--transposed")
let shapes: [(n: Int, k: Int)] = [(1536, 576), (576, 1536), (576, 576), (192, 576), (49152, 576)]
let pool = ThreadPool(threads: threads)

print(VectorISA.summary)
print("amx: \(AMXSupport.isActive ? "amx-bf16 tiles timed in the amx column" : "n/a, \(AMXSupport.status)")")
print("threads \(threads) m \(m) repeats \(repeats) (best of repeats after 2 warm-up runs)")

/// Fastest of `repeats` calls of `body`, after two warm-up calls (the best run is the one least
/// disturbed by other processes on a shared machine).
func bestSeconds(_ body: () -> Void) -> Double {
    body()
    body()
    var times: [Double] = []
    for _ in 0..<repeats {
        let start = now()
        body()
        times.append(now() - start)
    }
    return times.min() ?? .infinity
}

/// `bestSeconds` of `body` on A and C.
func timed(a: [Float], c: inout [Float], _ body: (UnsafePointer<Float>, UnsafeMutablePointer<Float>) -> Void) -> Double {
    a.withUnsafeBufferPointer { aBuffer in
        c.withUnsafeMutableBufferPointer { cBuffer in
            bestSeconds { body(aBuffer.baseAddress!, cBuffer.baseAddress!) }
        }
    }
}

var random = BenchRandom(state: 0x9E37_79B9_7F4A_7C15)
for shape in shapes {
    let a = (0..<(m * shape.k)).map { _ in random.next() }
    let w = (0..<(shape.n * shape.k)).map { _ in random.next() }
    var c = [Float](repeating: 0, count: m * shape.n)
    let flops = 2.0 * Double(m) * Double(shape.n) * Double(shape.k)
    let f32 = PackedWeights(rows: shape.n, cols: shape.k, values: w, precision: .f32)
    let bf16 = PackedWeights(rows: shape.n, cols: shape.k, values: w, precision: .bf16)
    let gflops = { (body: (UnsafePointer<Float>, UnsafeMutablePointer<Float>) -> Void) in
        flops / timed(a: a, c: &c, body) * 1e-9
    }
    let f32Rate = gflops { matmul($0, rows: m, lda: shape.k, weights: f32, into: $1, ldc: shape.n, pool: pool) }
    let bf16Rate = gflops { matmulBF16Vector($0, rows: m, lda: shape.k, weights: bf16, into: $1, ldc: shape.n, pool: pool) }
    let amxRate = AMXSupport.isActive
        ? String(gflops {
            matmulBF16Tiles($0, rows: m, lda: shape.k, weights: bf16, into: $1, ldc: shape.n, pool: pool, backend: .hardware)
        })
        : "n/a"
    print("shape \(m) \(shape.n) \(shape.k) \(f32Rate) \(bf16Rate) \(amxRate)")
    if measureTransposed {
        let seconds = a.withUnsafeBufferPointer { aBuffer in
            w.withUnsafeBufferPointer { wBuffer in
                c.withUnsafeMutableBufferPointer { cBuffer in
                    bestSeconds {
                        matmulTransposed(m: m, n: shape.n, k: shape.k, a: aBuffer.baseAddress!, lda: shape.k,
                                         b: wBuffer.baseAddress!, ldb: shape.k, c: cBuffer.baseAddress!, ldc: shape.n,
                                         pool: pool)
                    }
                }
            }
        }
        print("transposed \(m) \(shape.n) \(shape.k) \(flops / seconds * 1e-9)")
    }
}
