import Core
import Foundation
import Kernels

// Forward throughput of one window (all positions' logits, as the numpy reference computes),
// f32 and bf16 weights, best of `repeats` after a warm-up; and the logits after
// "The capital of France is" for the cross-check. Prints one JSON object.
// Usage: ForwardBench MODEL [--tokens 1024] [--repeats 3] [--threads 2]

var arguments = Array(CommandLine.arguments.dropFirst())
@MainActor func option(_ name: String, _ fallback: Int) -> Int {
    guard let i = arguments.firstIndex(of: name), i + 1 < arguments.count, let v = Int(arguments[i + 1]) else { return fallback }
    arguments.removeSubrange(i...(i + 1))
    return v
}
let tokens = option("--tokens", 1024)
let repeats = option("--repeats", 3)
let threads = option("--threads", 2)
guard let path = arguments.first else {
    FileHandle.standardError.write(Data("usage: ForwardBench MODEL [--tokens N] [--repeats N] [--threads N]\n".utf8))
    exit(2)
}
VectorISA.requireRunnable()
let pool = ThreadPool(threads: threads)
var result: [String: Any] = ["isa": VectorISA.summary, "tokens": tokens, "threads": threads]
for precision in [WeightPrecision.f32, .bf16] {
    let model = try ModelLoader.load(path: path, precision: precision).model
    let ids = (0..<tokens).map { Int32($0 * 7919 % model.config.vocabSize) }
    _ = try model.logits(for: ids, pool: pool)
    var best = Double.infinity
    for _ in 0..<repeats {
        let start = Date()
        _ = try model.logits(for: ids, pool: pool)
        best = min(best, Date().timeIntervalSince(start))
    }
    let logits = try model.nextTokenLogits(after: [504, 3575, 282, 4649, 314], pool: pool)
    let argmax = logits.indices.max { logits[$0] < logits[$1] }!
    result[precision.rawValue] = [
        "tokens_per_second": Double(tokens) / best, "best_seconds": best,
        "argmax": argmax, "first8": logits.prefix(8).map { Double($0) },
    ] as [String: Any]
}
let json = try JSONSerialization.data(withJSONObject: result, options: [.sortedKeys])
print(String(decoding: json, as: UTF8.self))
