import Core
import Foundation
import Kernels
import Testing
import TestSupport

/// Records every block's FFN activations z (tokens x width) of every window, so the tests can
/// form sums over tokens naively.
final class ActivationRecorder: BlockObserver {
    let widths: [Int]
    /// Per block, one row of z per token, windows one after the other.
    var rows: [[[Double]]]

    init(widths: [Int]) {
        self.widths = widths
        rows = Array(repeating: [], count: widths.count)
    }

    func observe(block: Int, tokens: Int, input: UnsafePointer<Float>, output: UnsafePointer<Float>,
                 ffnActivations: UnsafePointer<Float>) {
        let width = widths[block]
        for t in 0..<tokens { rows[block].append((0..<width).map { Double(ffnActivations[t * width + $0]) }) }
    }

    static func record(_ model: LlamaModel, windows: [[Int32]]) throws -> [[[Double]]] {
        let recorder = ActivationRecorder(widths: model.config.intermediateSizes)
        for window in windows { try model.observeBlocks(window, observer: recorder, pool: ThreadPool(threads: 1)) }
        return recorder.rows
    }
}

/// Dense reference numerics in the plainest form: Gaussian elimination with partial pivoting.
enum NaiveAlgebra {
    /// Solves A X = B (A n x n, B n x m, both row-major).
    static func solve(_ a: [Double], _ b: [Double], n: Int, m: Int) -> [Double] {
        var a = a, b = b
        for col in 0..<n {
            let pivot = (col..<n).max { abs(a[$0 * n + col]) < abs(a[$1 * n + col]) }!
            if pivot != col {
                for c in 0..<n { a.swapAt(col * n + c, pivot * n + c) }
                for c in 0..<m { b.swapAt(col * m + c, pivot * m + c) }
            }
            for r in (col + 1)..<n {
                let f = a[r * n + col] / a[col * n + col]
                if f == 0 { continue }
                for c in col..<n { a[r * n + c] -= f * a[col * n + c] }
                for c in 0..<m { b[r * m + c] -= f * b[col * m + c] }
            }
        }
        var x = [Double](repeating: 0, count: n * m)
        for r in stride(from: n - 1, through: 0, by: -1) {
            for c in 0..<m {
                var s = b[r * m + c]
                for k in (r + 1)..<n { s -= a[r * n + k] * x[k * m + c] }
                x[r * m + c] = s / a[r * n + r]
            }
        }
        return x
    }

    /// Delta (columns.count x hidden) minimising sum_t || sum_{j in removed} z_tj Wd[:,j] - Delta^T x_t ||^2
    /// + lambda ||Delta||^2, x_t = z_t[columns] (plus a constant 1, undamped, with `intercept`),
    /// from the token rows themselves (normal equations formed by direct sums over tokens).
    static func ridge(rows z: [[Double]], down: [Float], hidden: Int, width: Int, kept: [Int], lambda: Double,
                      intercept: Bool = false) -> [Double] {
        let keptSet = Set(kept)
        let removed = (0..<width).filter { !keptSet.contains($0) }
        let n = kept.count + (intercept ? 1 : 0)
        var a = [Double](repeating: 0, count: n * n), b = [Double](repeating: 0, count: n * hidden)
        for row in z {
            let x = kept.map { row[$0] } + (intercept ? [1] : [])
            var target = [Double](repeating: 0, count: hidden)
            for i in 0..<hidden { for j in removed { target[i] += row[j] * Double(down[i * width + j]) } }
            for r in 0..<n {
                for c in 0..<n { a[r * n + c] += x[r] * x[c] }
                for i in 0..<hidden { b[r * hidden + i] += x[r] * target[i] }
            }
        }
        for r in 0..<kept.count { a[r * n + r] += lambda }
        return solve(a, b, n: n, m: hidden)
    }

    /// sum_t || Wd z_t - W' z_t[kept] - delta ||^2.
    static func outputError(rows z: [[Double]], down: [Float], hidden: Int, width: Int, kept: [Int],
                            newDown: [Float], biasDelta: [Double]? = nil) -> Double {
        var total = 0.0
        for row in z {
            for i in 0..<hidden {
                var full = 0.0, part = biasDelta?[i] ?? 0
                for j in 0..<width { full += Double(down[i * width + j]) * row[j] }
                for (c, j) in kept.enumerated() { part += Double(newDown[i * kept.count + c]) * row[j] }
                total += (full - part) * (full - part)
            }
        }
        return total
    }
}

@Suite struct CompensationTests {
    static func windows(_ model: LlamaModel, count: Int = 6, size: Int = 16, seed: UInt64 = 5) -> [[Int32]] {
        var rng = TestRandom(seed: seed)
        return (0..<count).map { _ in (0..<size).map { _ in Int32(rng.next() % UInt64(model.config.vocabSize)) } }
    }

    static func model(family: String = "llama") throws -> LlamaModel {
        var config = try LlamaConfig.tiny(family: family, layers: 2, hidden: 16, ffn: 24, vocab: 50)
        config.intermediateSizes = [24, 20]
        return try LlamaModel.random(config: config, seed: 23)
    }

    @Test func gramIsTheNaiveSumOverTokens() throws {
        let model = try Self.model()
        let windows = Self.windows(model, count: 3, size: 40)  // 40 tokens: a partial GEMM tile
        let stats = try Calibrator().calibrate(model: model, windows: windows, pool: ThreadPool(threads: 2))
        let z = try ActivationRecorder.record(model, windows: windows)
        for (l, width) in model.config.intermediateSizes.enumerated() {
            let gram = try #require(stats.blocks[l].gram)
            #expect(gram.size == width && z[l].count == 120)
            for i in 0..<width {
                for j in 0..<width {
                    let want = z[l].reduce(0.0) { $0 + $1[i] * $1[j] }
                    let scale = z[l].reduce(0.0) { $0 + abs($1[i] * $1[j]) }
                    #expect(abs(gram[i, j] - want) <= 1e-6 * max(scale, 1e-30), "block \(l) (\(i), \(j))")
                }
            }
            // The diagonal is the activation energy sum the fine score uses.
            #expect(zip(gram.diagonal, stats.blocks[l].activationSquareSum).allSatisfy { abs($0 - $1) <= 1e-6 * $1 })
        }
        // Thread count does not change a bit.
        #expect(try Calibrator().calibrate(model: model, windows: windows, pool: ThreadPool(threads: 1)) == stats)
        // Without gram the statistics carry none.
        #expect(!(try Calibrator(gram: false).calibrate(model: model, windows: windows, pool: ThreadPool(threads: 1))).hasGram)
    }

    @Test(arguments: ["llama", "gemma3"])
    func leastSquaresIsTheNaiveOptimumAndNeverWorse(family: String) throws {
        let model = try Self.model(family: family)
        let windows = Self.windows(model)
        let stats = try Calibrator().calibrate(model: model, windows: windows, pool: ThreadPool(threads: 2))
        let z = try ActivationRecorder.record(model, windows: windows)
        var options = PruningOptions(sparsity: 0.4)
        #expect(options.effectiveCompensation == .leastSquares)  // cfsp's default
        let (pruned, plan) = try Pruner().prune(model: model, statistics: stats, options: options)
        options.compensation = Compensation.none
        let (plain, plainPlan) = try Pruner().prune(model: model, statistics: stats, options: options)
        #expect(plan.blocks.map(\.kept) == plainPlan.blocks.map(\.kept))  // same neurons, other weights
        #expect(plan.options.compensation == .leastSquares)
        for l in model.blocks.indices {
            let width = model.blocks[l].ffnWidth, hidden = model.config.hiddenSize
            let down = model.blocks[l].down.unpacked(), kept = plan.blocks[l].kept
            let lambda = 1e-2 * kept.reduce(0.0) { s, j in s + z[l].reduce(0.0) { $0 + $1[j] * $1[j] } } / Double(kept.count)
            let delta = NaiveAlgebra.ridge(rows: z[l], down: down, hidden: hidden, width: width, kept: kept, lambda: lambda)
            let got = pruned.blocks[l].down.unpacked()
            for i in 0..<hidden {
                for (c, j) in kept.enumerated() {
                    let want = Double(down[i * width + j]) + delta[c * hidden + i]
                    #expect(abs(Double(got[i * kept.count + c]) - want) <= 1e-4 * max(1, abs(want)), "block \(l) [\(i), \(j)]")
                }
            }
            let compensated = NaiveAlgebra.outputError(rows: z[l], down: down, hidden: hidden, width: width, kept: kept,
                                                       newDown: got)
            let uncompensated = NaiveAlgebra.outputError(rows: z[l], down: down, hidden: hidden, width: width, kept: kept,
                                                         newDown: plain.blocks[l].down.unpacked())
            #expect(compensated < uncompensated, "block \(l): \(compensated) against \(uncompensated)")
            // Other blocks' tensors and the shapes stay as they were.
            #expect(pruned.blocks[l].gate.unpacked() == plain.blocks[l].gate.unpacked())
            #expect(pruned.config.intermediateSizes == plain.config.intermediateSizes)
        }
    }

    @Test func flapWithLeastSquaresSolvesForTheBiasToo() throws {
        let model = try Self.model()
        let windows = Self.windows(model)
        let stats = try Calibrator().calibrate(model: model, windows: windows, pool: ThreadPool(threads: 1))
        let z = try ActivationRecorder.record(model, windows: windows)
        var options = PruningOptions(sparsity: 0.4, method: .flap)
        #expect(options.effectiveCompensation == .none)  // baselines stay as published
        options.compensation = .leastSquares
        let (pruned, plan) = try Pruner().prune(model: model, statistics: stats, options: options)
        let (folded, _) = try Pruner().prune(model: model, statistics: stats, options: PruningOptions(sparsity: 0.4, method: .flap))
        for l in model.blocks.indices {
            let width = model.blocks[l].ffnWidth, hidden = model.config.hiddenSize
            let down = model.blocks[l].down.unpacked(), kept = plan.blocks[l].kept
            let lambda = 1e-2 * kept.reduce(0.0) { s, j in s + z[l].reduce(0.0) { $0 + $1[j] * $1[j] } } / Double(kept.count)
            let delta = NaiveAlgebra.ridge(rows: z[l], down: down, hidden: hidden, width: width, kept: kept, lambda: lambda,
                                           intercept: true)
            let bias = try #require(pruned.blocks[l].downBias)
            for i in 0..<hidden {
                let want = delta[kept.count * hidden + i]
                #expect(abs(Double(bias[i]) - want) <= 1e-4 * max(1, abs(want)))
            }
            let error = NaiveAlgebra.outputError(rows: z[l], down: down, hidden: hidden, width: width, kept: kept,
                                                 newDown: pruned.blocks[l].down.unpacked(), biasDelta: bias.map(Double.init))
            let foldedError = NaiveAlgebra.outputError(
                rows: z[l], down: down, hidden: hidden, width: width, kept: kept,
                newDown: folded.blocks[l].down.unpacked(), biasDelta: try #require(folded.blocks[l].downBias).map(Double.init))
            #expect(error < foldedError)
        }
    }

    @Test func obsRemovesFirstTheNeuronWhoseCompensatedRemovalCostsLeast() throws {
        let model = try Self.model()
        let windows = Self.windows(model)
        let stats = try Calibrator().calibrate(model: model, windows: windows, pool: ThreadPool(threads: 1))
        let z = try ActivationRecorder.record(model, windows: windows)
        let l = 1, width = model.blocks[l].ffnWidth, hidden = model.config.hiddenSize
        let down = model.blocks[l].down.unpacked()
        let gram = try #require(stats.blocks[l].gram)
        let lambda = 1e-2 * gram.diagonal.reduce(0, +) / Double(width)
        // Brute force: the damped error sum_t ||Wd z_t - W' z_t||^2 + lambda ||W' - Wd||^2 left by
        // removing j alone and compensating optimally (W'[:,j] = 0).
        let costs = (0..<width).map { j -> Double in
            let kept = (0..<width).filter { $0 != j }
            let delta = NaiveAlgebra.ridge(rows: z[l], down: down, hidden: hidden, width: width, kept: kept, lambda: lambda)
            var newDown = [Float](repeating: 0, count: hidden * kept.count)
            var penalty = 0.0
            for i in 0..<hidden {
                penalty += Double(down[i * width + j]) * Double(down[i * width + j])
                for (c, k) in kept.enumerated() {
                    newDown[i * kept.count + c] = Float(Double(down[i * width + k]) + delta[c * hidden + i])
                    penalty += delta[c * hidden + i] * delta[c * hidden + i]
                }
            }
            return NaiveAlgebra.outputError(rows: z[l], down: down, hidden: hidden, width: width, kept: kept,
                                            newDown: newDown) + lambda * penalty
        }
        let best = costs.indices.min { costs[$0] < costs[$1] }!
        let obs = try DownCompensation.obsKept(count: width - 1, down: down, hidden: hidden, width: width, gram: gram,
                                               damping: 1e-2)
        #expect(obs.kept == (0..<width).filter { $0 != best })
        // Through the planner: the same counts as cfsp's allocation, other neurons.
        var options = PruningOptions(sparsity: 0.5)
        options.compensation = .obs
        let plan = try Pruner().plan(model: model, statistics: stats, options: options)
        let plain = try Pruner().plan(model: model, statistics: stats, options: PruningOptions(sparsity: 0.5))
        #expect(plan.blocks.map(\.keptCount) == plain.blocks.map(\.keptCount))
        #expect(plan.blocks.map(\.kept) != plain.blocks.map(\.kept))
        #expect(plan.blocks.allSatisfy { $0.threshold.isFinite && $0.threshold >= 0 })
    }

    @Test func gramRoundTripsThroughJSONAndOldFilesAreRefusedClearly() throws {
        let model = try Self.model()
        let stats = try Calibrator().calibrate(model: model, windows: Self.windows(model), pool: ThreadPool(threads: 1))
        #expect(stats.hasGram && stats.formatVersion == CalibrationStatistics.formatVersion)
        let data = try JSONEncoder().encode(stats)
        let decoded = try JSONDecoder().decode(CalibrationStatistics.self, from: data)
        #expect(decoded == stats)  // bit for bit, Gram matrices included
        #expect(decoded.blocks[1].gram?.packed == stats.blocks[1].gram?.packed)
        // A format-1 file (no Gram matrices) still loads; compensation says what to do.
        var json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        json["formatVersion"] = 1
        json["blocks"] = (json["blocks"] as! [[String: Any]]).map { block in block.filter { $0.key != "gram" } }
        let old = try JSONDecoder().decode(CalibrationStatistics.self, from: JSONSerialization.data(withJSONObject: json))
        #expect(!old.hasGram)
        var caught: PruningError?
        do { _ = try Pruner().prune(model: model, statistics: old, options: PruningOptions(sparsity: 0.3)) } catch let error as PruningError { caught = error }
        let message = String(describing: try #require(caught))
        #expect(message.contains("calibration format 1") && message.contains("compensation: none"), "\(message)")
        var none = PruningOptions(sparsity: 0.3)
        none.compensation = Compensation.none
        #expect(try Pruner().prune(model: model, statistics: old, options: none).model.config.intermediateSizes.reduce(0, +) == 31)
        // A triangle of the wrong length is refused.
        var broken = json
        broken["blocks"] = (try JSONSerialization.jsonObject(with: data) as! [String: Any])["blocks"]
        var blocks = broken["blocks"] as! [[String: Any]]
        blocks[0]["gram"] = ["size": 24, "upperTriangleFloat64Base64": Data(count: 16).base64EncodedString()]
        broken["blocks"] = blocks
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(CalibrationStatistics.self, from: JSONSerialization.data(withJSONObject: broken))
        }
    }

    @Test func choleskyAgreesWithGaussianElimination() throws {
        var rng = TestRandom(seed: 3)
        let n = 37, m = 70  // more right-hand sides than one 64-column chunk
        let r = (0..<(n * n)).map { _ in Double(rng.next() % 2001) / 1000 - 1 }
        var a = [Double](repeating: 0, count: n * n)
        for i in 0..<n { for j in 0..<n { for k in 0..<n { a[i * n + j] += r[i * n + k] * r[j * n + k] } } }
        for i in 0..<n { a[i * n + i] += 0.1 }
        let factor = try Cholesky(a, size: n)
        for i in 0..<n {
            for j in 0..<n {
                let product = (0..<n).reduce(0.0) { $0 + factor.lower[i * n + $1] * factor.lower[j * n + $1] }
                #expect(abs(product - a[i * n + j]) <= 1e-10 * max(1, abs(a[i * n + j])))
                if j > i { #expect(factor.lower[i * n + j] == 0) }
            }
        }
        let b = (0..<(n * m)).map { _ in Double(rng.next() % 2001) / 1000 - 1 }
        var x = b
        factor.solve(&x, columns: m)
        let want = NaiveAlgebra.solve(a, b, n: n, m: m)
        #expect(zip(x, want).allSatisfy { abs($0 - $1) <= 1e-8 * max(1, abs($1)) })
        let inverse = factor.inverse()
        for i in 0..<n {
            for j in 0..<n {
                let p = (0..<n).reduce(0.0) { $0 + inverse[i * n + $1] * a[$1 * n + j] }
                #expect(abs(p - (i == j ? 1 : 0)) <= 1e-8)
            }
        }
        // Not positive definite: refused, saying so.
        #expect(throws: PruningError.self) { try Cholesky([1, 2, 2, 1], size: 2) }
    }

    @Test("on a pool's threads the factor, the solve and the compensated down projection are the single-threaded ones, bit for bit")
    func threadedCompensationIsBitIdentical() throws {
        // Large enough that the factorisation's column updates are split (n * rows below > 2^16)
        // and the solve has several 64-column chunks.
        var rng = TestRandom(seed: 9)
        let width = 600, hidden = 150
        let tokens = 700
        let z = (0..<(tokens * width)).map { _ in Double(rng.next() % 2001) / 1000 - 1 }
        var full = [Double](repeating: 0, count: width * width)
        for t in 0..<tokens {
            for i in 0..<width where z[t * width + i] != 0 {
                for j in i..<width { full[i * width + j] += z[t * width + i] * z[t * width + j] }
            }
        }
        let encoded = try JSONEncoder().encode(GramSizeAndTriangle(size: width, full: full))
        let gram = try JSONDecoder().decode(GramMatrix.self, from: encoded)
        let down = (0..<(hidden * width)).map { _ in Float(rng.next() % 2001) / 1000 - 1 }
        let kept = (0..<width).filter { $0 % 3 != 1 }
        let pool = ThreadPool(threads: 2)
        let single = try DownCompensation.compensatedDown(down: down, hidden: hidden, width: width, kept: kept, gram: gram,
                                                          damping: 1e-2)
        let threaded = try DownCompensation.compensatedDown(down: down, hidden: hidden, width: width, kept: kept, gram: gram,
                                                            damping: 1e-2, pool: pool)
        #expect(single.down == threaded.down)
        let a = gram.submatrix(rows: kept, columns: kept).enumerated().map { $0.offset % (kept.count + 1) == 0 ? $0.element + 1 : $0.element }
        let f1 = try Cholesky(a, size: kept.count), f2 = try Cholesky(a, size: kept.count, pool: pool)
        #expect(f1.lower == f2.lower)
        let b = (0..<(kept.count * 200)).map { _ in Double(rng.next() % 2001) / 1000 - 1 }
        var x1 = b, x2 = b
        f1.solve(&x1, columns: 200)
        f2.solve(&x2, columns: 200, pool: pool)
        #expect(x1 == x2)
    }

    @Test func dampingMustBePositive() throws {
        let model = try Self.model()
        let stats = try Calibrator().calibrate(model: model, windows: Self.windows(model), pool: ThreadPool(threads: 1))
        var options = PruningOptions(sparsity: 0.3)
        options.damping = 0
        #expect(throws: PruningError.self) { try Pruner().prune(model: model, statistics: stats, options: options) }
    }
}

/// A Gram matrix as its file form (size and the upper triangle's doubles), so a test can build one
/// from a full matrix through the public decoder.
private struct GramSizeAndTriangle: Encodable {
    let size: Int
    let full: [Double]

    enum CodingKeys: String, CodingKey { case size, upperTriangleFloat64Base64 }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(size, forKey: .size)
        var data = Data()
        for i in 0..<size {
            for j in i..<size { withUnsafeBytes(of: full[i * size + j].bitPattern.littleEndian) { data.append(contentsOf: $0) } }
        }
        try container.encode(data.base64EncodedString(), forKey: .upperTriangleFloat64Base64)
    }
}
