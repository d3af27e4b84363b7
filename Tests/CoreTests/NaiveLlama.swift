import Core
import Foundation
import Kernels

/// An independent, deliberately plain LLaMA forward pass in Double: the reference the
/// optimised forward pass is checked against. Written from the formulas, not from the kernels.
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

    static func rotate(_ x: inout [[Double]], heads: Int, headDim: Int, theta: Float, layout: RotaryLayout) {
        let half = headDim / 2
        for t in 0..<x.count {
            for head in 0..<heads {
                let base = head * headDim
                for i in 0..<half {
                    let freq = pow(Double(theta), -2 * Double(i) / Double(headDim))
                    let angle = Double(t) * freq
                    let (a, b) = layout == .rotateHalf ? (base + i, base + i + half) : (base + 2 * i, base + 2 * i + 1)
                    let x0 = x[t][a], x1 = x[t][b]
                    x[t][a] = x0 * cos(angle) - x1 * sin(angle)
                    x[t][b] = x0 * sin(angle) + x1 * cos(angle)
                }
            }
        }
    }

    /// Logits for every position, tokens x vocab.
    static func logits(_ model: LlamaModel, _ tokens: [Int32]) -> [[Double]] {
        let c = model.config
        let h = c.hiddenSize
        var x = tokens.map { id in (0..<h).map { Double(model.embedding[Int(id) * h + $0]) } }
        let group = c.numHeads / c.numKVHeads
        for block in model.blocks {
            let n = rmsNorm(x, block.attentionNorm, c.rmsNormEps)
            var q = linear(n, matrix(block.query))
            var k = linear(n, matrix(block.key))
            let v = linear(n, matrix(block.value))
            rotate(&q, heads: c.numHeads, headDim: c.headDim, theta: c.ropeTheta, layout: c.ropeLayout)
            rotate(&k, heads: c.numKVHeads, headDim: c.headDim, theta: c.ropeTheta, layout: c.ropeLayout)
            var attended = Array(repeating: Array(repeating: 0.0, count: c.numHeads * c.headDim), count: x.count)
            for head in 0..<c.numHeads {
                let kvHead = head / group
                for t in 0..<x.count {
                    var scores = (0...t).map { s in
                        (0..<c.headDim).reduce(0.0) { $0 + q[t][head * c.headDim + $1] * k[s][kvHead * c.headDim + $1] }
                            / Double(c.headDim).squareRoot()
                    }
                    let m = scores.max()!
                    scores = scores.map { exp($0 - m) }
                    let total = scores.reduce(0, +)
                    for d in 0..<c.headDim {
                        attended[t][head * c.headDim + d] =
                            (0...t).reduce(0.0) { $0 + scores[$1] / total * v[$1][kvHead * c.headDim + d] }
                    }
                }
            }
            let o = linear(attended, matrix(block.attentionOutput))
            for t in 0..<x.count { for j in 0..<h { x[t][j] += o[t][j] } }
            let n2 = rmsNorm(x, block.ffnNorm, c.rmsNormEps)
            let g = linear(n2, matrix(block.gate))
            let u = linear(n2, matrix(block.up))
            let z = zip(g, u).map { gr, ur in zip(gr, ur).map { $0 / (1 + exp(-$0)) * $1 } }
            let d = linear(z, matrix(block.down))
            for t in 0..<x.count {
                for j in 0..<h { x[t][j] += d[t][j] + Double(block.downBias?[j] ?? 0) }
            }
        }
        return linear(rmsNorm(x, model.finalNorm, c.rmsNormEps), matrix(model.outputHead))
    }
}
