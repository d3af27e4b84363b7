import Kernels
import Synchronization

/// One rotary table of a model, built for the positions windows actually use rather than for the
/// context a file declares (a declared context of 2^40 positions would need terabytes), and
/// grown on demand, thread-safely, up to the model's context.
///
/// A grown table holds the same values as a smaller one for the positions both cover (each
/// entry depends only on its position and pair), so results do not depend on which windows ran
/// before.
final class RotaryCache: Sendable {
    /// Positions a first table covers: enough for short windows without regrowing.
    static let initialPositions = 256

    let headDim: Int
    let theta: Float
    let frequencyFactors: [Float]?
    /// The most positions a table may cover (the model's context length).
    let limit: Int
    private let table: Mutex<RotaryTable?>

    init(headDim: Int, limit: Int, theta: Float, frequencyFactors: [Float]? = nil) {
        self.headDim = headDim
        self.theta = theta
        self.frequencyFactors = frequencyFactors
        self.limit = limit
        self.table = Mutex(nil)
    }

    /// A table covering positions 0..<`positions` (at most `limit`; callers validate windows
    /// against the context first). Grows geometrically, so a run of longer windows rebuilds it
    /// a logarithmic number of times.
    func table(covering positions: Int) -> RotaryTable {
        let wanted = min(max(positions, 1), limit)
        return table.withLock { current in
            if let current, current.positions >= wanted { return current }
            let previous = current?.positions ?? 0
            let doubled = previous > limit / 2 ? limit : 2 * previous
            let size = min(limit, max(wanted, doubled, Self.initialPositions))
            let grown = RotaryTable(headDim: headDim, positions: size, theta: theta, frequencyFactors: frequencyFactors)
            current = grown
            return grown
        }
    }

    /// Positions the current table covers (0 before the first window).
    var builtPositions: Int { table.withLock { $0?.positions ?? 0 } }
}

extension RotaryCache {
    /// The tables a model shaped `config` uses: the global one, then the local one when
    /// sliding-window layers have their own base (Gemma 3).
    static func tables(for config: LlamaConfig) -> [RotaryCache] {
        var tables = [RotaryCache(headDim: config.headDim, limit: config.contextLength, theta: config.ropeTheta,
                                  frequencyFactors: config.ropeFrequencyFactors)]
        if let local = config.localRopeTheta {
            tables.append(RotaryCache(headDim: config.headDim, limit: config.contextLength, theta: local))
        }
        return tables
    }

    /// Which of `tables` (from `tables(for:)`) block `layer` uses.
    static func table(layer: Int, of tables: [RotaryCache], config: LlamaConfig) -> RotaryCache {
        tables[config.usesLocalRotary(layer: layer) ? 1 : 0]
    }
}
