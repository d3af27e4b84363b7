import Core
import Foundation
import Kernels
import Testing
import TestSupport

/// An independent Double reference of the LoRA-adapted model's loss, written from the formulas
/// (reusing the plain helpers of `NaiveLlama`), to check the hand-written backward passes by
/// finite differences in float64.
enum TrainingReference {
    static func lora(_ x: [[Double]], _ w: [[Double]], _ layout: LoRAAdapterLayout, _ p: [Double]) -> [[Double]] {
        var y = NaiveLlama.linear(x, w)
        let r = layout.rank
        if r == 0 { return y }
        for t in 0..<x.count {
            var xa = [Double](repeating: 0, count: r)
            for j in 0..<r {
                for i in 0..<layout.inputs { xa[j] += x[t][i] * p[layout.aOffset + j * layout.inputs + i] }
            }
            for o in 0..<layout.outputs {
                var s = 0.0
                for j in 0..<r { s += xa[j] * p[layout.bOffset + o * r + j] }
                y[t][o] += Double(layout.scaling) * s
            }
        }
        return y
    }

    /// Mean next-token cross-entropy of `tokens` under `model` + adapters `p`.
    static func loss(_ network: LoRANetwork, _ p: [Double], _ tokens: [Int32]) -> Double {
        let model = network.model
        let final = NaiveLlama.finalHidden(model, tokens) { l, part, x in
            lora(x, NaiveLlama.matrix(part.weights(in: model.blocks[l])), network.layouts[l][part.rawValue], p)
        }
        let logits = NaiveLlama.linear(final, NaiveLlama.matrix(model.outputHead))
        var total = 0.0
        for t in 0..<(tokens.count - 1) {
            let m = logits[t].max()!
            total += m + log(logits[t].reduce(0) { $0 + exp($1 - m) }) - logits[t][Int(tokens[t + 1])]
        }
        return total / Double(tokens.count - 1)
    }
}

/// Whole-model gradient check of every LoRA parameter class (A and B of q, k, v, o, gate, up,
/// down in every block) on tiny models: the analytic f32 gradients against float64 central
/// differences of the independent reference. This exercises the backward pass of every op:
/// tied head + cross-entropy, final and block RMSNorms, SwiGLU, GQA causal attention, rotary,
/// the linear layers and the residual paths.
struct TrainingGradientTests {
    static func network(layout: RotaryLayout, seed: UInt64, family: String? = nil) throws -> LoRANetwork {
        let config = try family.map {
            try LlamaConfig.tiny(family: $0, layers: 2, hidden: 32, heads: 4, kvHeads: 2, headDim: $0 == "qwen3" ? 12 : nil,
                                 ffn: 40, vocab: 50, context: 16, ropeLayout: layout)
        } ?? LlamaConfig.tiny(layers: 2, hidden: 32, heads: 4, kvHeads: 2, ffn: 40, vocab: 50, context: 16, ropeLayout: layout)
        let model = try LlamaModel.random(config: config, seed: seed)
        let network = try LoRANetwork(model: model, ranks: [2, 3], seed: seed + 1, maxTokens: 16)
        // B starts at zero; make it random so every A gradient is non-trivial too.
        var rng = TestRandom(seed: seed + 2)
        for block in network.layouts {
            for a in block {
                for i in 0..<(a.outputs * a.rank) { network.setParameter(a.bOffset + i, rng.uniform(-0.3, 0.3)) }
            }
        }
        return network
    }

    /// The row-wise steps of the forward and backward (norms, rotary, gating) split a window's
    /// rows over the pool once it has 32 or more; the gradients must keep every bit whatever the
    /// thread count, for each family's switches (per-head norms, sandwich norms, GELU).
    @Test(arguments: ["llama", "qwen3", "gemma3"])
    func gradientsOfALongWindowAreTheSameForAnyThreadCount(family: String) throws {
        let config = try LlamaConfig.tiny(family: family, layers: 2, hidden: 32, heads: 4, kvHeads: 2,
                                          headDim: family == "qwen3" ? 12 : nil, ffn: 40, vocab: 50, context: 64)
        let model = try LlamaModel.random(config: config, seed: 41)
        var rng = TestRandom(seed: 43)
        let tokens = (0..<50).map { _ in Int32(rng.next() % 50) }
        func gradients(threads: Int) throws -> (loss: Double, gradients: [Float]) {
            let network = try LoRANetwork(model: model, ranks: [2, 3], seed: 42, maxTokens: 50)
            var b = TestRandom(seed: 44)
            for block in network.layouts {
                for a in block {
                    for i in 0..<(a.outputs * a.rank) { network.setParameter(a.bOffset + i, b.uniform(-0.3, 0.3)) }
                }
            }
            network.zeroGradients()
            let loss = try network.accumulateGradients(window: tokens, pool: ThreadPool(threads: threads))
            return (loss, network.gradientValues)
        }
        let one = try gradients(threads: 1), three = try gradients(threads: 3)
        #expect(one.loss == three.loss)
        #expect(one.gradients == three.gradients)
        #expect(one.gradients.contains { $0 != 0 })
    }

    @Test(arguments: [RotaryLayout.rotateHalf, .interleaved])
    func loraGradientsMatchFloat64FiniteDifferences(layout: RotaryLayout) throws {
        try checkGradients(try Self.network(layout: layout, seed: 11))
    }

    /// Each family's switches (biases, per-head norms, sandwich norms, GELU, scales, sliding
    /// windows, local and scaled rotary) through the backward pass.
    @Test(arguments: Architecture.all.map(\.name))
    func familyGradientsMatchFloat64FiniteDifferences(family: String) throws {
        try checkGradients(try Self.network(layout: .rotateHalf, seed: 13, family: family))
    }

    func checkGradients(_ network: LoRANetwork, minimumChecked: Int = 300) throws {
        let tokens: [Int32] = [3, 17, 42, 8, 8, 29, 0, 49, 12, 5]
        let pool = ThreadPool(threads: 2)
        network.zeroGradients()
        let loss = try network.accumulateGradients(window: tokens, pool: pool)
        let params = network.parameterValues.map(Double.init)
        #expect(abs(loss - TrainingReference.loss(network, params, tokens)) < 1e-4, "forward loss agrees")
        let analytic = network.gradientValues
        // Every third parameter of every adapter matrix (all 28 A/B matrices are covered).
        var checked = 0
        var diffSquares = 0.0, refSquares = 0.0
        for index in stride(from: 0, to: params.count, by: 3) {
            let eps = 1e-5
            var plus = params, minus = params
            plus[index] += eps
            minus[index] -= eps
            let numeric = (TrainingReference.loss(network, plus, tokens) - TrainingReference.loss(network, minus, tokens))
                / (2 * eps)
            diffSquares += (Double(analytic[index]) - numeric) * (Double(analytic[index]) - numeric)
            refSquares += numeric * numeric
            // Element-wise: f32 accumulation error is ~1e-6 absolute on these O(1) magnitudes.
            #expect(abs(Double(analytic[index]) - numeric) < 1e-3 * abs(numeric) + 2e-5, "parameter \(index)")
            checked += 1
        }
        #expect(checked > minimumChecked)
        #expect(refSquares > 0)
        #expect((diffSquares / refSquares).squareRoot() < 1e-3, "relative error of the whole gradient")
    }

    @Test func gradientScaleAndAccumulationAreLinear() throws {
        let network = try Self.network(layout: .rotateHalf, seed: 3)
        let pool = ThreadPool(threads: 2)
        let window: [Int32] = [1, 2, 3, 4, 5, 6]
        network.zeroGradients()
        _ = try network.accumulateGradients(window: window, scale: 1, pool: pool)
        let once = network.gradientValues
        network.zeroGradients()
        _ = try network.accumulateGradients(window: window, scale: 0.5, pool: pool)
        _ = try network.accumulateGradients(window: window, scale: 0.5, pool: pool)
        let twice = network.gradientValues
        let worst = zip(once, twice).map { abs($0 - $1) / (1e-6 + abs($0)) }.max() ?? .infinity
        #expect(worst < 1e-4)
    }

    @Test func mergedModelMatchesTheAdaptedNetwork() throws {
        let network = try Self.network(layout: .rotateHalf, seed: 21)
        let pool = ThreadPool(threads: 2)
        let tokens: [Int32] = [4, 9, 1, 33, 20, 7, 7, 2]
        let adapted = try network.loss(window: tokens, pool: pool)
        let merged = try network.mergedModel(pool: pool)
        #expect(merged.config == network.model.config, "same (pruned) shapes, no extra layers")
        #expect(merged.parameterCount == network.model.parameterCount)
        let ws = ForwardWorkspace(model: merged, tokens: tokens.count)
        let (sum, count) = try merged.windowNegativeLogLikelihood(tokens, workspace: ws, pool: pool)
        #expect(abs(sum / Double(count) - adapted) < 1e-4)
        let base = try network.model.logits(for: tokens, pool: pool)
        let after = try merged.logits(for: tokens, pool: pool)
        #expect(zip(base, after).contains { abs($0 - $1) > 1e-3 }, "the adapters changed the weights")
    }

    /// bf16 frozen weights (the fast path for real models) give gradients close to the f32 ones:
    /// bf16 keeps 8 mantissa bits, so a few percent is the expected difference.
    @Test func bf16FrozenWeightsGiveNearbyGradients() throws {
        let config = LlamaConfig.tiny(layers: 2, hidden: 32, heads: 4, kvHeads: 2, ffn: 40, vocab: 50, context: 16)
        let model = try LlamaModel.random(config: config, seed: 5)
        let pool = ThreadPool(threads: 2)
        let tokens: [Int32] = [7, 1, 30, 30, 2, 44, 9, 13]
        var gradients: [[Float]] = []
        var losses: [Double] = []
        for precision in [WeightPrecision.f32, .bf16] {
            let network = try LoRANetwork(model: model, ranks: [4, 4], seed: 2, frozenPrecision: precision, maxTokens: 8)
            var rng = TestRandom(seed: 77)
            for block in network.layouts {
                for a in block { for i in 0..<(a.outputs * a.rank) { network.setParameter(a.bOffset + i, rng.uniform(-0.3, 0.3)) } }
            }
            network.zeroGradients()
            losses.append(try network.accumulateGradients(window: tokens, pool: pool))
            gradients.append(network.gradientValues)
        }
        #expect(abs(losses[0] - losses[1]) < 2e-2)
        let diff = zip(gradients[0], gradients[1]).reduce(0.0) { $0 + Double(($1.0 - $1.1) * ($1.0 - $1.1)) }
        let reference = gradients[0].reduce(0.0) { $0 + Double($1 * $1) }
        #expect(reference > 0)
        #expect((diff / reference).squareRoot() < 5e-2)
    }

    @Test func badWindowsThrowInsteadOfCrashing() throws {
        let network = try Self.network(layout: .rotateHalf, seed: 1)
        let pool = ThreadPool(threads: 1)
        #expect(throws: (any Error).self) { try network.loss(window: [1], pool: pool) }
        #expect(throws: (any Error).self) { try network.loss(window: [1, 50], pool: pool) }
        #expect(throws: (any Error).self) { try network.loss(window: Array(repeating: 1, count: 17), pool: pool) }
    }
}
