import Foundation
import Kernels

/// One block's weights, unpacked once for scoring.
struct FFNWeights {
    let hidden: Int
    let width: Int
    /// [width, hidden]
    let gate: [Float]
    let up: [Float]
    /// [hidden, width]
    let down: [Float]

    init(_ block: LlamaBlockWeights) {
        hidden = block.down.rows
        width = block.ffnWidth
        gate = block.gate.unpacked()
        up = block.up.unpacked()
        down = block.down.unpacked()
    }

    /// ||Wd_:j||_2^2 for every neuron j.
    func downColumnSquares() -> [Double] {
        var out = [Double](repeating: 0, count: width)
        for i in 0..<hidden {
            for j in 0..<width { let w = Double(down[i * width + j]); out[j] += w * w }
        }
        return out
    }

    /// sum_i |Wd_ij| for every neuron j.
    func downColumnAbsSums() -> [Double] {
        var out = [Double](repeating: 0, count: width)
        for i in 0..<hidden { for j in 0..<width { out[j] += Double(abs(down[i * width + j])) } }
        return out
    }
}

/// The fine-step scores F_j of CFSP.md section 3, one array per block (higher = keep).
enum NeuronScores {
    static func scores(
        method: PruningMethod, weights w: FFNWeights, activationNorm a: [Double], variance: [Double],
        b: Double, c: Double
    ) -> [Double] {
        switch method {
        case .activation: return a
        case .cfspRef: return cfspReference(w, a, b: b, c: c)
        case .cfsp: return cfsp(w, a, b: b, c: c)
        case .wandaSP:
            let sums = w.downColumnAbsSums()
            return (0..<w.width).map { sums[$0] / Double(w.hidden) * a[$0] }
        case .magnitudeSP: return w.downColumnSquares().map { $0.squareRoot() }
        case .flap: return zip(variance, w.downColumnSquares()).map { $0 * $1 }
        }
    }

    /// The public code's `three_w_one_wa`, term by term. Each normalised column sums to one,
    /// so this is 3/H * A_j^c up to rounding: it ranks as A_j does and b has no effect.
    static func cfspReference(_ w: FFNWeights, _ a: [Double], b: Double, c: Double) -> [Double] {
        (0..<w.width).map { j in
            let ab = pow(a[j], b)
            var downTotal = 0.0, upTotal = 0.0, gateTotal = 0.0
            for i in 0..<w.hidden {
                downTotal += Double(abs(w.down[i * w.width + j])) * ab
                upTotal += Double(abs(w.up[j * w.hidden + i]))
                gateTotal += Double(abs(w.gate[j * w.hidden + i]))
            }
            var sum = 0.0
            for i in 0..<w.hidden {
                let d = downTotal > 0 ? Double(abs(w.down[i * w.width + j])) * ab / downTotal : 0
                let u = upTotal > 0 ? Double(abs(w.up[j * w.hidden + i])) / upTotal : 0
                let g = gateTotal > 0 ? Double(abs(w.gate[j * w.hidden + i])) / gateTotal : 0
                sum += d + u + g
            }
            return sum / Double(w.hidden) * pow(a[j], c)
        }
    }

    /// The paper's relative importance, each weight normalised across the neurons it competes
    /// with (per input/output dimension i), so no term cancels and activations weigh in.
    static func cfsp(_ w: FFNWeights, _ a: [Double], b: Double, c: Double) -> [Double] {
        let ab = a.map { pow($0, b) }
        var d = [Double](repeating: 0, count: w.width)
        for i in 0..<w.hidden {
            let row = i * w.width
            var total = 0.0
            for j in 0..<w.width { total += Double(abs(w.down[row + j])) * ab[j] }
            if total > 0 { for j in 0..<w.width { d[j] += Double(abs(w.down[row + j])) * ab[j] / total } }
        }
        func acrossNeurons(_ m: [Float]) -> [Double] {
            var totals = [Double](repeating: 0, count: w.hidden)
            for j in 0..<w.width { for i in 0..<w.hidden { totals[i] += Double(abs(m[j * w.hidden + i])) } }
            return (0..<w.width).map { j in
                var s = 0.0
                for i in 0..<w.hidden where totals[i] > 0 { s += Double(abs(m[j * w.hidden + i])) / totals[i] }
                return s
            }
        }
        let u = acrossNeurons(w.up), g = acrossNeurons(w.gate)
        func normalised(_ x: [Double]) -> [Double] {
            let mean = x.reduce(0, +) / Double(x.count)
            return mean > 0 ? x.map { $0 / mean } : x.map { _ in 0 }
        }
        let dn = normalised(d), un = normalised(u), gn = normalised(g)
        return (0..<w.width).map { (dn[$0] + un[$0] + gn[$0]) * pow(a[$0], c) }
    }

    /// z-score within a block (population standard deviation); all zeros when constant.
    static func standardised(_ x: [Double]) -> [Double] {
        let n = Double(x.count)
        let mean = x.reduce(0, +) / n
        let sd = (x.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / n).squareRoot()
        return sd > 0 ? x.map { ($0 - mean) / sd } : x.map { _ in 0 }
    }

    /// Indices of the k best scores, ties to the lower index, returned in ascending order.
    static func top(_ k: Int, of scores: [Double]) -> [Int] {
        let ranked = scores.indices.sorted { scores[$0] != scores[$1] ? scores[$0] > scores[$1] : $0 < $1 }
        return ranked.prefix(k).sorted()
    }
}
