import Foundation

/// What the coarse step's block importances are before s0 divides their deviations (CFSP.md
/// sections 2 and 6).
public enum BudgetRule: String, Sendable, Codable, CaseIterable {
    /// B_l per token, times the paper's N x S (131,072 tokens): the same allocation for any
    /// amount of calibration, and exactly the paper's at N = 128, S = 1024 (the default).
    case perToken = "per-token"
    /// B_l summed over all calibration tokens, as the paper and its code: the allocation
    /// sharpens with N x S (flat at 8 x 128 tokens).
    case paper

    /// The paper's calibration size N x S = 128 x 1024, at which both rules agree.
    public static let referenceTokens = 131_072.0

    /// The importances s0 divides, from the sums `importance` over `tokens` tokens.
    public func scaled(_ importance: [Double], tokens: Int) -> [Double] {
        switch self {
        case .paper: return importance
        case .perToken:
            let factor = Self.referenceTokens / Double(max(tokens, 1))
            return importance.map { $0 * factor }
        }
    }
}

/// The coarse step of CFSP (CFSP.md section 2): how many FFN neurons each block keeps, from the
/// blocks' importances B_l, so that more important blocks keep more and the total is exact.
public struct BudgetAllocation: Sendable {
    /// Target FFN sparsity p in [0, 1).
    public var sparsity: Double
    /// Temperature a of the sigmoid.
    public var temperature: Double
    /// Scale s0 dividing the importance deviations.
    public var scale: Double
    /// Kept widths are multiples of this (1: no rounding; the reference's cuda_friendly is 128).
    public var align: Int
    /// How the importance sums are scaled before s0 divides them.
    public var rule: BudgetRule

    /// The budget step of `options` (their sparsity, temperature, scale and alignment; an
    /// unresolved alignment, nil, rounds nothing: `Pruner` resolves the method's default first).
    public init(_ options: PruningOptions) {
        sparsity = options.sparsity
        temperature = options.temperature
        scale = options.scale
        align = options.align ?? 1
        rule = options.budgetRule
    }

    /// A budget for `sparsity`; omitted parameters take `PruningOptions`' defaults.
    public init(sparsity: Double, temperature: Double? = nil, scale: Double? = nil, align: Int? = nil,
                rule: BudgetRule? = nil) {
        var options = PruningOptions(sparsity: sparsity)
        if let temperature { options.temperature = temperature }
        if let scale { options.scale = scale }
        if let align { options.align = align }
        if let rule { options.budgetRule = rule }
        self.init(options)
    }

    /// keep_l for every block from the importance sums B_l over `tokens` calibration tokens,
    /// scaled by `rule` first.
    public func keepRatios(importance: [Double], tokens: Int) throws -> [Double] {
        try keepRatios(importance: rule.scaled(importance, tokens: tokens))
    }

    /// keep_l for every block: (1 - p) * u_l / mean(u), squeezed by the cap rule when a block
    /// would keep everything or more. `importance` is taken as it is (already scaled; the
    /// paper's rule).
    public func keepRatios(importance: [Double]) throws -> [Double] {
        try validate(blocks: importance.count)
        let meanB = importance.reduce(0, +) / Double(importance.count)
        var u = importance.map { 1 / (1 + exp(-temperature * ($0 - meanB) / scale)) }
        let m = u.reduce(0, +) / Double(u.count)
        var keep = u.map { (1 - sparsity) * $0 / m }
        if let top = keep.max(), top >= 1, let maxU = u.max(), maxU > m {
            let kappa = m * (1 / (1 - sparsity) - 1) / ((maxU - m) * 1.05)
            u = u.map { m + ($0 - m) * kappa }
            let m2 = u.reduce(0, +) / Double(u.count)
            keep = u.map { (1 - sparsity) * $0 / m2 }
        }
        return keep
    }

    /// Kept neurons per block: widths * keep rounded so the total is round((1 - p) * sum(widths))
    /// exactly (largest remainder, ties to the lower index), or in units of `align` when > 1
    /// (each block then keeps a multiple of align, at least align, at most its width).
    public func keptCounts(keepRatios: [Double], widths: [Int]) throws -> [Int] {
        try validate(blocks: widths.count)
        guard keepRatios.count == widths.count else {
            throw PruningError.invalidArgument("\(keepRatios.count) keep ratios for \(widths.count) blocks")
        }
        let unit = max(1, align)
        let capacity = widths.map { unit == 1 ? $0 : max(1, $0 / unit) }
        let total = Double(widths.reduce(0, +)) * (1 - sparsity) / Double(unit)
        let target = min(capacity.reduce(0, +), max(widths.count, Int(total.rounded())))
        let ideal = zip(keepRatios, widths).map { Double($1) * $0 / Double(unit) }
        var units = zip(ideal, capacity).map { min($1, max(1, Int($0.rounded(.down)))) }
        var assigned = units.reduce(0, +)
        // Largest remainder: hand out single units to the block furthest below its ideal share
        // (ties to the lower index), or take back from the one furthest above it.
        func remainder(_ i: Int) -> Double { ideal[i] - Double(units[i]) }
        while assigned < target, let best = units.indices.filter({ units[$0] < capacity[$0] })
            .max(by: { remainder($0) != remainder($1) ? remainder($0) < remainder($1) : $0 > $1 }) {
            units[best] += 1
            assigned += 1
        }
        while assigned > target, let worst = units.indices.filter({ units[$0] > 1 })
            .min(by: { remainder($0) != remainder($1) ? remainder($0) < remainder($1) : $0 < $1 }) {
            units[worst] -= 1
            assigned -= 1
        }
        return zip(units, widths).map { min($0 * unit, $1) }
    }

    /// The same count in every block of one width: (1 - p) x width rounded to the nearest
    /// multiple of `align` (at least align, at most the width), so a model whose runtime takes
    /// one FFN width for all layers (llama.cpp's qwen3, gemma3) can load the pruned result.
    public func uniformCounts(widths: [Int]) throws -> [Int] {
        try validate(blocks: widths.count)
        let unit = max(1, align)
        return widths.map { width in
            let units = max(1, Int((Double(width) * (1 - sparsity) / Double(unit)).rounded()))
            return min(units * unit, width)
        }
    }

    /// Checks the arguments for `blocks` blocks before any work.
    func validate(blocks: Int) throws {
        guard blocks > 0 else { throw PruningError.invalidArgument("no blocks to allocate a budget to") }
        if let violation = PruningOptions.Limits.sparsity.violation("sparsity", sparsity) {
            throw PruningError.invalidArgument(violation)
        }
        guard temperature.isFinite, scale.isFinite, PruningOptions.Limits.scale.contains(scale) else {
            throw PruningError.invalidArgument("temperature must be finite and scale positive (a=\(temperature), s0=\(scale))")
        }
        if let violation = PruningOptions.Limits.align.violation("align", align) {
            throw PruningError.invalidArgument(violation)
        }
    }
}
