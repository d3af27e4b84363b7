import Core
import Foundation
import Kernels

/// An independent, deliberately plain decoder forward pass in Double, for every family switch
/// (biases, per-head norms, sandwich norms, GELU gating, embedding and attention scales,
/// sliding windows, local rotary bases, rotary frequency factors): the reference the optimised
/// forward pass and the training gradients are checked against. Written from the formulas,
/// not from the kernels.
enum NaiveLlama {
    static func matrix(_ w: PackedWeights) -> [[Double]] {
        let flat = w.unpacked()
        return (0..<w.rows).map { r in (0..<w.cols).map { Double(flat[r * w.cols + $0]) } }
    }

    static func linear(_ x: [[Double]], _ w: [[Double]]) -> [[Double]] {
        x.map { row in w.map { wr in zip(row, wr).reduce(0) { $0 + $1.0 * $1.1 } } }
    }

    static func rmsNorm(_ x: [[Double]], _ weight: [Float], _ eps: Float) -> [[Double]] {
        x.map { row in
            let ms = row.reduce(0) { $0 + $1 * $1 } / Double(row.count)
            let inv = 1 / (ms + Double(eps)).squareRoot()
            return row.enumerated().map { $0.element * inv * Double(weight[$0.offset]) }
        }
    }

    /// RMSNorm over each head's slice of every row.
    static func headNorm(_ x: [[Double]], _ weight: [Float], heads: Int, headDim: Int, _ eps: Float) -> [[Double]] {
        x.map { row in
            (0..<heads).flatMap { head in rmsNorm([Array(row[(head * headDim)..<((head + 1) * headDim)])], weight, eps)[0] }
        }
    }

    static func addBias(_ x: [[Double]], _ bias: [Float]?) -> [[Double]] {
        guard let bias else { return x }
        return x.map { row in row.enumerated().map { $0.element + Double(bias[$0.offset]) } }
    }

    static func rotate(_ x: inout [[Double]], heads: Int, headDim: Int, theta: Float, layout: RotaryLayout,
                       factors: [Float]? = nil) {
        let half = headDim / 2
        for t in 0..<x.count {
            for head in 0..<heads {
                let base = head * headDim
                for i in 0..<half {
                    let freq = pow(Double(theta), -2 * Double(i) / Double(headDim)) / Double(factors?[i] ?? 1)
                    let angle = Double(t) * freq
                    let (a, b) = layout == .rotateHalf ? (base + i, base + i + half) : (base + 2 * i, base + 2 * i + 1)
                    let x0 = x[t][a], x1 = x[t][b]
                    x[t][a] = x0 * cos(angle) - x1 * sin(angle)
                    x[t][b] = x0 * sin(angle) + x1 * cos(angle)
                }
            }
        }
    }

    static func activation(_ kind: GatedActivation, _ x: Double) -> Double {
        switch kind {
        case .silu: return x / (1 + exp(-x))
        case .geluTanh: return 0.5 * x * (1 + tanh((2 / Double.pi).squareRoot() * (x + 0.044715 * x * x * x)))
        }
    }

    /// The final-normed hidden states (tokens x hidden), with `linear(layer, part, x)` doing
    /// each projection (the frozen weights, or weights plus adapters for training checks).
    ///
    /// Each block runs with its own head counts and skips a sublayer it lacks. On top of that,
    /// `keptQueryHeads[l]` (when given) lists the only query heads of block l whose output
    /// counts (the others attend to nothing), and `skipAttention` / `skipFFN` name blocks
    /// whose sublayer is skipped: the dense model with structures removed, for pruning checks.
    static func finalHidden(_ model: LlamaModel, _ tokens: [Int32], keptQueryHeads: [[Int]]? = nil,
                            skipAttention: Set<Int> = [], skipFFN: Set<Int> = [],
                            linear project: (Int, BlockLinear, [[Double]]) -> [[Double]]) -> [[Double]] {
        let c = model.config
        let h = c.hiddenSize, d = c.headDim
        var x = tokens.map { id in (0..<h).map { Double(model.embedding[Int(id) * h + $0]) * Double(c.embeddingScale) } }
        let group = c.headsPerKVHead
        let scale = Double(c.attentionScale ?? Float(1 / Double(d).squareRoot()))
        for (l, block) in model.blocks.enumerated() {
            let heads = c.heads(layer: l), kvHeads = c.kvHeads(layer: l)
            if heads > 0 && !skipAttention.contains(l) {
                let n = rmsNorm(x, block.attentionNorm, c.rmsNormEps)
                var q = addBias(project(l, .query, n), block.queryBias)
                var k = addBias(project(l, .key, n), block.keyBias)
                let v = addBias(project(l, .value, n), block.valueBias)
                if let qn = block.queryNorm, let kn = block.keyNorm {
                    q = headNorm(q, qn, heads: heads, headDim: d, c.rmsNormEps)
                    k = headNorm(k, kn, heads: kvHeads, headDim: d, c.rmsNormEps)
                }
                let window = c.window(layer: l)
                let local = window != nil && c.localRopeTheta != nil
                let theta = local ? c.localRopeTheta! : c.ropeTheta
                let factors = local ? nil : c.ropeFrequencyFactors
                rotate(&q, heads: heads, headDim: d, theta: theta, layout: c.ropeLayout, factors: factors)
                rotate(&k, heads: kvHeads, headDim: d, theta: theta, layout: c.ropeLayout, factors: factors)
                var attended = Array(repeating: Array(repeating: 0.0, count: heads * d), count: x.count)
                for head in 0..<heads where keptQueryHeads?[l].contains(head) ?? true {
                    let kvHead = head / group
                    for t in 0..<x.count {
                        let first = window.map { max(0, t - $0 + 1) } ?? 0
                        var scores = (first...t).map { s in
                            (0..<d).reduce(0.0) { $0 + q[t][head * d + $1] * k[s][kvHead * d + $1] } * scale
                        }
                        let m = scores.max()!
                        scores = scores.map { exp($0 - m) }
                        let total = scores.reduce(0, +)
                        for j in 0..<d {
                            attended[t][head * d + j] = (first...t).reduce(0.0) { $0 + scores[$1 - first] / total * v[$1][kvHead * d + j] }
                        }
                    }
                }
                var o = project(l, .attentionOutput, attended)
                if let post = block.postAttentionNorm { o = rmsNorm(o, post, c.rmsNormEps) }
                for t in 0..<x.count { for j in 0..<h { x[t][j] += o[t][j] } }
            }
            guard block.ffnWidth > 0 && !skipFFN.contains(l) else { continue }
            let n2 = rmsNorm(x, block.ffnNorm, c.rmsNormEps)
            let g = project(l, .gate, n2)
            let u = project(l, .up, n2)
            let z = zip(g, u).map { gr, ur in zip(gr, ur).map { activation(c.activation, $0) * $1 } }
            var down = addBias(project(l, .down, z), block.downBias)
            if let post = block.postFFNNorm { down = rmsNorm(down, post, c.rmsNormEps) }
            for t in 0..<x.count { for j in 0..<h { x[t][j] += down[t][j] } }
        }
        return rmsNorm(x, model.finalNorm, c.rmsNormEps)
    }

    /// Logits for every position, tokens x vocab (structures removed as `finalHidden` says).
    static func logits(_ model: LlamaModel, _ tokens: [Int32], keptQueryHeads: [[Int]]? = nil,
                       skipAttention: Set<Int> = [], skipFFN: Set<Int> = []) -> [[Double]] {
        let final = finalHidden(model, tokens, keptQueryHeads: keptQueryHeads, skipAttention: skipAttention,
                                skipFFN: skipFFN) { l, part, x in linear(x, matrix(part.weights(in: model.blocks[l]))) }
        return linear(final, matrix(model.outputHead))
    }
}
