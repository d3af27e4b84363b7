import Foundation
import Kernels

/// Calibration one block at a time over all windows (issue 16, for models that do not fit in
/// memory): every window's hidden states are kept (`storage`), block l runs over all of them
/// and is released before block l + 1 is read, so resident memory is one block's weights plus
/// the states (or one window's, with a file) instead of the whole model.
///
/// The statistics are those of `Calibrator` on the same windows: each block sees the same
/// inputs, computed by the same code, and adds them up in the same window order, so the sums
/// agree to the last bit (tests compare them).
public struct LayerSequentialCalibrator: Sendable {
    /// Also accumulate the Gram matrices (see `Calibrator.gram`). Note their size: width x
    /// (width + 1) / 2 doubles per block stay in memory until the pass ends, unless
    /// `calibrate(spillingGramsTo:)` moves each block's to disk as it finishes.
    public var gram: Bool
    /// Where the hidden states wait between blocks.
    public var storage: HiddenStateStorage

    /// A calibrator; `gram` and `storage` as documented on the properties.
    public init(gram: Bool = true, storage: HiddenStateStorage = .memory) {
        self.gram = gram
        self.storage = storage
    }

    /// Calibrates `source`'s model on `windows`. `progress` is called after each block's pass
    /// over each window, in window-equivalents: `windowsDone` counts the windows' worth of
    /// blocks done (blocks done x windows / blocks), so a progress bar moves as it does for the
    /// window-by-window pass; `isCancelled` is checked before each block and window.
    public func calibrate(
        source: any BlockWeightSource, windows: [[Int32]], pool: ThreadPool,
        progress: (CalibrationProgress) -> Void = { _ in }, isCancelled: () -> Bool = { false }
    ) throws -> CalibrationStatistics {
        try run(source: source, windows: windows, pool: pool, spill: nil, progress: progress, isCancelled: isCancelled)
    }

    /// `calibrate` with the Gram matrices (when `gram`) moved to a temporary file in
    /// `directory` as each block finishes, so memory holds one block's at a time. The statistics
    /// come back without them (`hasGram` is false); `grams` serves them, bit for bit what
    /// `calibrate` would have kept, for as long as it is referenced.
    public func calibrate(
        source: any BlockWeightSource, windows: [[Int32]], pool: ThreadPool, spillingGramsTo directory: String,
        progress: (CalibrationProgress) -> Void = { _ in }, isCancelled: () -> Bool = { false }
    ) throws -> (statistics: CalibrationStatistics, grams: GramSpill) {
        let spill = try GramSpill(directory: directory)
        let statistics = try run(source: source, windows: windows, pool: pool, spill: spill, progress: progress,
                                 isCancelled: isCancelled)
        return (statistics, spill)
    }

    private func run(
        source: any BlockWeightSource, windows: [[Int32]], pool: ThreadPool, spill: GramSpill?,
        progress: (CalibrationProgress) -> Void, isCancelled: () -> Bool
    ) throws -> CalibrationStatistics {
        let config = source.config
        guard let longest = windows.map(\.count).max(), longest > 0, !windows.contains(where: \.isEmpty) else {
            throw ModelError.invalidConfig("calibration needs at least one window, and no empty one")
        }
        if longest > config.contextLength {
            throw ModelError.windowTooLong(tokens: longest, contextLength: config.contextLength)
        }
        let h = config.hiddenSize, layers = config.numLayers
        let store = try HiddenStateStore(lengths: windows.map(\.count), hidden: h, storage: storage)
        let workspace = ForwardWorkspace(config: config, tokens: longest)
        for (w, window) in windows.enumerated() {
            if isCancelled() { throw OperationCancelled() }
            var rows = try source.embeddingRows(window)
            if config.embeddingScale != 1 { for i in rows.indices { rows[i] *= config.embeddingScale } }
            try rows.withUnsafeBufferPointer { try store.write(w, from: $0.baseAddress!) }
        }
        let spilling = gram && spill != nil
        let accumulator = CalibrationAccumulator(config: config, gram: gram && !spilling, pool: pool)
        let rotary = RotaryCache.tables(for: config)
        let tokensPerBlock = windows.reduce(0) { $0 + $1.count }
        let start = Date()
        for layer in 0..<layers {
            if isCancelled() { throw OperationCancelled() }
            let block = try source.block(layer)
            let forward = BlockForward(config: config, layer: layer, block: block,
                                       rotary: RotaryCache.table(layer: layer, of: rotary, config: config), pool: pool)
            let linears = FrozenBlockLinears(block: block, pool: pool)
            let input = workspace.hidden[0], output = workspace.hidden[1]
            if spilling { accumulator.beginGrams(block: layer, attentionWidth: config.heads(layer: layer) * config.headDim) }
            var tokensDone = 0
            for (w, window) in windows.enumerated() {
                if isCancelled() { throw OperationCancelled() }
                try store.read(w, into: input)
                forward.run(input: input, tokens: window.count, output: output, linears: linears,
                            activations: workspace.activations)
                accumulator.sawBlock(layer, config: config, tokens: window.count, input: input, output: output,
                                     activations: workspace.activations)
                try store.write(w, from: output)
                tokensDone += window.count
                let blocksDone = Double(layer) + Double(tokensDone) / Double(tokensPerBlock)
                progress(CalibrationProgress(
                    windowsDone: Int(Double(windows.count) * blocksDone / Double(layers)), windowsTotal: windows.count,
                    tokensPerSecond: Double(tokensPerBlock) * blocksDone / Double(layers)
                        / max(Date().timeIntervalSince(start), 1e-9)))
            }
            if let spill, spilling {
                let grams = accumulator.takeGrams(block: layer)
                if let ffn = grams.ffn { try spill.store(ffn, block: layer, kind: .ffn) }
                if let attention = grams.attention { try spill.store(attention, block: layer, kind: .attention) }
            }
        }
        for window in windows { accumulator.finishWindow(tokens: window.count) }
        return accumulator.statistics
    }
}
