import Kernels

// The planner's compensation steps (CFSP.md section 6): the OBS selection and the least-squares
// down projections, each block on its own thread.
extension Pruner {
    /// Runs `body` for every block, blocks spread over `pool`'s threads (each block's own work
    /// single-threaded), and returns the results in block order or the first block's error.
    static func perBlock<T: Sendable>(
        _ count: Int, pool: ThreadPool, _ body: @Sendable (Int) throws(PruningError) -> T
    ) throws(PruningError) -> [T] {
        let results = UnsafeMutableBufferPointer<Result<T, PruningError>?>.allocate(capacity: count)
        results.initialize(repeating: nil)
        defer {
            _ = results.deinitialize()
            results.deallocate()
        }
        pool.parallelFor(count) { l in
            do throws(PruningError) { results[l] = .success(try body(l)) } catch { results[l] = .failure(error) }
        }
        return try results.map { result throws(PruningError) in try result!.get() }
    }

    /// The kept sets OBS chooses at the given counts (`counts[i]` for block `blocks[i]`), and
    /// each block's lowest removal error; a block's Gram matrix comes from `grams` when they
    /// were spilled there, else from `statistics`.
    static func obsSelection(
        source: any BlockWeightSource, statistics: CalibrationStatistics, blocks indices: [Int], counts: [Int],
        damping: Double, pool: ThreadPool, grams: GramSpill? = nil
    ) throws -> (kept: [[Int]], thresholds: [Double]) {
        let chosen = try perBlock(indices.count, pool: pool) { i throws(PruningError) in
            let l = indices[i]
            let block: LlamaBlockWeights, gram: GramMatrix
            do {
                block = try source.block(l)
                gram = try statistics.gram(block: l, neededBy: .obs, spilledIn: grams)
            } catch let error as PruningError { throw error } catch {
                throw PruningError.invalidArgument("block \(l) or its Gram matrix could not be read: \(error)")
            }
            let selection = try DownCompensation.obsKept(
                count: counts[i], down: block.down.unpacked(), hidden: block.down.rows, width: block.ffnWidth,
                gram: gram, damping: damping)
            return (selection.kept, selection.errors.min() ?? .infinity)
        }
        return (chosen.map(\.0), chosen.map(\.1))
    }

    /// The compensated down projection (and, for FLAP, the bias change) of every block.
    static func compensatedDowns(
        model: LlamaModel, statistics: CalibrationStatistics, plan: PruningPlan, pool: ThreadPool
    ) throws(PruningError) -> [(down: [Float], biasDelta: [Double]?)] {
        let options = plan.options
        let compensation = options.effectiveCompensation
        for l in model.blocks.indices { _ = try statistics.gram(block: l, neededBy: compensation) }
        let blocks = model.blocks
        let tokens = Double(statistics.tokens)
        return try perBlock(blocks.count, pool: pool) { l throws(PruningError) in
            let block = blocks[l]
            return try DownCompensation.compensatedDown(
                down: block.down.unpacked(), hidden: block.down.rows, width: block.ffnWidth, kept: plan.blocks[l].kept,
                gram: try statistics.gram(block: l, neededBy: compensation), damping: options.damping,
                intercept: options.method == .flap ? (statistics.blocks[l].activationSum, tokens) : nil)
        }
    }
}
