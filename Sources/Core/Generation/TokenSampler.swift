import Foundation

/// Draws the next token from a row of logits: greedy at temperature 0, else from the softmax of
/// logits / temperature restricted to the top k and then to the nucleus of mass top p (the order
/// transformers and llama.cpp apply them in). A seeded SplitMix64 generator makes a seed
/// reproduce a run draw for draw.
public struct TokenSampler: Sendable {
    public let temperature: Double
    public let topK: Int
    public let topP: Double
    /// The seed the generator started from.
    public let seed: UInt64
    private var generator: SeededGenerator

    /// Candidates whose weight exp((l - max) / T) is below e^-cutoff are dropped before sorting:
    /// next to the top token's weight 1 they are below f32 resolution, so no draw can pick them.
    static let logitCutoff = 40.0

    /// A sampler with the options' settings and `seed`.
    public init(temperature: Double, topK: Int, topP: Double, seed: UInt64) {
        self.temperature = temperature
        self.topK = topK
        self.topP = topP
        self.seed = seed
        generator = SeededGenerator(seed: seed)
    }

    /// Whether every draw is the argmax.
    public var isGreedy: Bool { temperature == 0 || topK == 1 }

    /// The next token of `logits` (one row of the vocabulary).
    public mutating func sample(_ logits: [Float]) -> Int32 {
        if isGreedy { return Self.argmax(logits) }
        let maximum = Double(logits.max() ?? 0)
        let floor = maximum - Self.logitCutoff * temperature
        var candidates: [(id: Int32, logit: Double)] = []
        for (i, l) in logits.enumerated() where Double(l) >= floor { candidates.append((Int32(i), Double(l))) }
        candidates.sort { $0.logit > $1.logit || ($0.logit == $1.logit && $0.id < $1.id) }
        if topK > 0, candidates.count > topK { candidates.removeLast(candidates.count - topK) }
        var weights = candidates.map { exp(($0.logit - maximum) / temperature) }
        var total = weights.reduce(0, +)
        if topP < 1 {
            var kept = 0, mass = 0.0
            while kept < weights.count {
                mass += weights[kept] / total
                kept += 1
                if mass >= topP { break }
            }
            weights.removeLast(weights.count - kept)
            total = weights.reduce(0, +)
        }
        let u = Double(generator.next() >> 11) / Double(1 << 53) * total
        var running = 0.0
        for (i, w) in weights.enumerated() {
            running += w
            if u < running { return candidates[i].id }
        }
        return candidates[weights.count - 1].id
    }

    /// The index of the largest logit (the first on ties, as torch.argmax).
    public static func argmax(_ logits: [Float]) -> Int32 {
        var best = 0
        for i in logits.indices where logits[i] > logits[best] { best = i }
        return Int32(best)
    }
}
