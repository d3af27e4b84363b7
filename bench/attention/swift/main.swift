// Causal attention throughput of the cfsp kernel with f32 and with bf16 products
// (`causalAttention(..., precision:)`), on the attention shapes of SmolLM2-135M (9 query heads
// over 3 KV heads, headDim 64) and Gemma 3 270M (4 over 1, headDim 256, window 512) at the
// calibration window (1024 tokens by default). GFLOP/s counts the two products of the visible
// keys only: 4 * headDim * (query, key) pairs per head. Best of `--repeats` after one warm-up.
// Flags: --tokens N (1024) --threads T (2) --repeats R (10) --cpu-time (one thread's CPU clock).
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Kernels

let arguments = CommandLine.arguments
func argument(_ name: String, default value: Int) -> Int {
    guard let index = arguments.firstIndex(of: name), index + 1 < arguments.count,
          let parsed = Int(arguments[index + 1]) else { return value }
    return parsed
}
let useThreadCPUClock = arguments.contains("--cpu-time")
func now() -> Double {
    var spec = timespec()
    clock_gettime(useThreadCPUClock ? CLOCK_THREAD_CPUTIME_ID : CLOCK_MONOTONIC, &spec)
    return Double(spec.tv_sec) + Double(spec.tv_nsec) * 1e-9
}

let tokens = argument("--tokens", default: 1024)
let threads = argument("--threads", default: 2)
let repeats = argument("--repeats", default: 10)
let pool = ThreadPool(threads: threads)

struct Shape {
    let name: String, heads: Int, kvHeads: Int, headDim: Int, window: Int?
}
let shapes = [Shape(name: "smollm2", heads: 9, kvHeads: 3, headDim: 64, window: nil),
              Shape(name: "gemma3-local", heads: 4, kvHeads: 1, headDim: 256, window: 512),
              Shape(name: "gemma3-global", heads: 4, kvHeads: 1, headDim: 256, window: nil)]

/// Deterministic inputs in [-1, 1) (xorshift64*), so runs are comparable.
struct BenchRandom {
    var state: UInt64 = 0x9E37_79B9_7F4A_7C15
    mutating func next() -> Float {
        state ^= state >> 12; state ^= state << 25; state ^= state >> 27
        return Float((state &* 2_685_821_657_736_338_717) >> 40) / Float(1 << 23) - 1
    }
}
var generator = BenchRandom()

/// `value` with `digits` decimals (no Foundation in the benchmark).
func fixed(_ value: Double, digits: Int = 1) -> String {
    var scale = 1.0
    for _ in 0..<digits { scale *= 10 }
    let scaled = Int((value * scale).rounded())
    let whole = String(scaled / Int(scale)), fraction = String(scaled % Int(scale))
    return whole + "." + String(repeating: "0", count: digits - fraction.count) + fraction
}

func column(_ text: String, _ width: Int, left: Bool = false) -> String {
    let pad = String(repeating: " ", count: max(0, width - text.count))
    return left ? text + pad : pad + text
}

print(VectorISA.summary)
print("\(threads) threads, \(tokens) tokens; GFLOP/s = 4 * headDim * visible (query, key) pairs * heads / fastest run")
print("shape            f32 GFLOP/s  bf16 GFLOP/s  bf16/f32")
for shape in shapes {
    let q = (0..<(tokens * shape.heads * shape.headDim)).map { _ in generator.next() * 2 }
    let k = (0..<(tokens * shape.kvHeads * shape.headDim)).map { _ in generator.next() * 2 }
    let v = (0..<(tokens * shape.kvHeads * shape.headDim)).map { _ in generator.next() }
    var out = [Float](repeating: 0, count: q.count)
    let pairs = (0..<tokens).reduce(0) { $0 + min($1 + 1, shape.window ?? Int.max) }
    let flops = 4.0 * Double(shape.headDim * pairs * shape.heads)
    func best(_ precision: AttentionPrecision) -> Double {
        var fastest = Double.infinity
        for run in 0...repeats {
            let start = now()
            causalAttention(q: q, k: k, v: v, tokens: tokens, heads: shape.heads, kvHeads: shape.kvHeads,
                            headDim: shape.headDim, window: shape.window, precision: precision, into: &out, pool: pool)
            if run > 0 { fastest = min(fastest, now() - start) }
        }
        return flops / fastest / 1e9
    }
    let f32 = best(.f32), bf16 = best(.bf16)
    print(column(shape.name, 16, left: true) + column(fixed(f32), 12) + column(fixed(bf16), 14)
          + column(fixed(bf16 / f32, digits: 2), 10))
}
