import Kernels

/// Accumulates `CalibrationStatistics` while the dense model streams windows through it: the
/// per-token block metrics, the per-neuron activation sums and (with `gram`) each block's
/// Gram matrix z^T z; nothing per window is kept.
final class CalibrationAccumulator: BlockObserver {
    private(set) var statistics: CalibrationStatistics
    private let pool: ThreadPool
    private var rowValues: [Float] = []
    private var gramAccumulation = GramAccumulation()

    init(config c: LlamaConfig, gram: Bool, pool: ThreadPool) {
        statistics = CalibrationStatistics(widths: c.intermediateSizes, hiddenSize: c.hiddenSize, gram: gram,
                                           attentionWidths: (0..<c.numLayers).map { c.heads(layer: $0) * c.headDim })
        self.pool = pool
    }

    /// Gives block `block` zero Gram matrices (FFN, and attention output where the block has
    /// sublayer statistics), for an accumulator made with `gram: false` that gathers them one
    /// block at a time (`LayerSequentialCalibrator` spilling them to disk).
    func beginGrams(block: Int, attentionWidth: Int) {
        statistics.blocks[block].gram = GramMatrix(size: statistics.blocks[block].width)
        if statistics.blocks[block].hasSublayerStatistics {
            statistics.blocks[block].attentionGram = GramMatrix(size: attentionWidth)
        }
    }

    /// Takes block `block`'s Gram matrices out of the statistics (which then have none for it).
    func takeGrams(block: Int) -> (ffn: GramMatrix?, attention: GramMatrix?) {
        defer {
            statistics.blocks[block].gram = nil
            statistics.blocks[block].attentionGram = nil
        }
        return (statistics.blocks[block].gram, statistics.blocks[block].attentionGram)
    }

    func finishWindow(tokens: Int) {
        statistics.windows += 1
        statistics.windowSize = max(statistics.windowSize, tokens)
        statistics.tokens += tokens
    }

    func observeSublayers(block: Int, tokens: Int, input: UnsafePointer<Float>, middle: UnsafePointer<Float>,
                          output: UnsafePointer<Float>, attentionOutput: UnsafePointer<Float>, attentionWidth: Int) {
        let h = statistics.hiddenSize
        var b = statistics.blocks[block]
        statistics.blocks[block] = BlockStatistics(width: 0)  // one owner while it is updated in place
        if rowValues.count < tokens { rowValues = Array(repeating: 0, count: tokens) }
        rowValues.withUnsafeMutableBufferPointer { rows in
            let r = rows.baseAddress!
            let pool = self.pool
            func angular(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>) {
                pool.parallelRanges(tokens) { range in
                    rowAngularDistance(x + range.lowerBound * h, y + range.lowerBound * h, rows: range.count, cols: h,
                                       into: r + range.lowerBound)
                }
            }
            if b.attentionAngularSum != nil {
                angular(input, middle)
                b.attentionAngularSum! += Self.sum(r, count: tokens)
            }
            if b.ffnAngularSum != nil {
                angular(middle, output)
                b.ffnAngularSum! += Self.sum(r, count: tokens)
            }
        }
        if var squares = b.attentionSquareSum, squares.count == attentionWidth {
            b.attentionSquareSum = nil
            squares.withUnsafeMutableBufferPointer {
                Self.addColumnSums(attentionOutput, rows: tokens, width: attentionWidth, sums: nil, squares: $0.baseAddress!, pool: pool)
            }
            b.attentionSquareSum = squares
        }
        if var gram = b.attentionGram, gram.size == attentionWidth {
            b.attentionGram = nil
            gramAccumulation.add(attentionOutput, tokens: tokens, into: &gram, pool: pool)
            b.attentionGram = gram
        }
        statistics.blocks[block] = b
    }

    func observe(
        block: Int, tokens: Int, input: UnsafePointer<Float>, output: UnsafePointer<Float>,
        ffnActivations: UnsafePointer<Float>
    ) {
        let h = statistics.hiddenSize
        if rowValues.count < 4 * tokens { rowValues = Array(repeating: 0, count: 4 * tokens) }
        rowValues.withUnsafeMutableBufferPointer { rows in
            let angular = rows.baseAddress!, cosine = angular + tokens, squared = cosine + tokens, absolute = squared + tokens
            // Per-token values in parallel (each row alone), then summed in token order.
            pool.parallelRanges(tokens) { range in
                let x = input + range.lowerBound * h, y = output + range.lowerBound * h, n = range.count
                rowBlockMetrics(x, y, rows: n, cols: h, angular: angular + range.lowerBound,
                                cosine: cosine + range.lowerBound, squared: squared + range.lowerBound,
                                absolute: absolute + range.lowerBound)
            }
            statistics.blocks[block].angularSum += Self.sum(angular, count: tokens)
            statistics.blocks[block].cosineSum += (0..<tokens).reduce(0.0) { $0 + (1 - Double(cosine[$1])) }
            statistics.blocks[block].mseSum += Self.sum(squared, count: tokens)
            statistics.blocks[block].maeSum += Self.sum(absolute, count: tokens)
        }
        accumulateColumns(ffnActivations, rows: tokens, block: block)
        if var gram = statistics.blocks[block].gram {
            statistics.blocks[block].gram = nil  // one owner while it is updated in place
            gramAccumulation.add(ffnActivations, tokens: tokens, into: &gram, pool: pool)
            statistics.blocks[block].gram = gram
        }
    }

    /// Adds each column's sum and sum of squares over the rows, in row order (so the result does
    /// not depend on the thread count), split over the pool by column ranges.
    private func accumulateColumns(_ z: UnsafePointer<Float>, rows: Int, block: Int) {
        let width = statistics.blocks[block].width
        // Take the arrays out so the two buffers are not overlapping accesses to `statistics`.
        var sums = statistics.blocks[block].activationSum
        var squares = statistics.blocks[block].activationSquareSum
        statistics.blocks[block].activationSum = []
        statistics.blocks[block].activationSquareSum = []
        sums.withUnsafeMutableBufferPointer { sumBuffer in
            squares.withUnsafeMutableBufferPointer { squareBuffer in
                Self.addColumnSums(z, rows: rows, width: width, sums: sumBuffer.baseAddress!,
                                   squares: squareBuffer.baseAddress!, pool: pool)
            }
        }
        statistics.blocks[block].activationSum = sums
        statistics.blocks[block].activationSquareSum = squares
    }

    /// The per-token values summed in token order, in Double.
    private static func sum(_ values: UnsafePointer<Float>, count: Int) -> Double {
        (0..<count).reduce(0.0) { $0 + Double(values[$1]) }
    }

    /// Adds each column's sum (when `sums` is given) and sum of squares over the rows of `z`
    /// (rows x width), in row order, split over the pool by column ranges. Each task walks its
    /// columns row by row (contiguous loads the compiler vectorizes) into local f64
    /// accumulators, so every column still sees the same additions in the same order as a
    /// column-at-a-time loop, and the results have the same bits.
    private static func addColumnSums(_ z: UnsafePointer<Float>, rows: Int, width: Int, sums s: UnsafeMutablePointer<Double>?,
                                      squares q: UnsafeMutablePointer<Double>, pool: ThreadPool) {
        // Two chunks per thread, each a multiple of 16 columns and at least 64: long contiguous
        // runs per row for the prefetcher (z is several MB, read once). The chunking does not
        // change any column's sum.
        let perThread = (width + 2 * pool.threadCount - 1) / (2 * pool.threadCount)
        let chunk = Swift.max(64, (perThread + 15) / 16 * 16)
        let chunks = (width + chunk - 1) / chunk
        pool.parallelFor(chunks) { c in
            let lo = c * chunk, count = min(width, lo + chunk) - lo
            withUnsafeTemporaryAllocation(of: Double.self, capacity: 2 * chunk) { buffer in
                let sum = buffer.baseAddress!, square = sum + chunk
                sum.initialize(repeating: 0, count: 2 * chunk)
                // Four rows per sweep: each accumulator is loaded and stored once per four
                // additions (made in row order), not once per row.
                var p = z + lo
                var row = 0
                while row + 4 <= rows {
                    let p1 = p + width, p2 = p1 + width, p3 = p2 + width
                    for j in 0..<count {
                        let v0 = Double(p[j]), v1 = Double(p1[j]), v2 = Double(p2[j]), v3 = Double(p3[j])
                        sum[j] = sum[j] + v0 + v1 + v2 + v3
                        square[j] = square[j] + v0 * v0 + v1 * v1 + v2 * v2 + v3 * v3
                    }
                    p += 4 * width
                    row += 4
                }
                while row < rows {
                    for j in 0..<count {
                        let v = Double(p[j])
                        sum[j] += v
                        square[j] += v * v
                    }
                    p += width
                    row += 1
                }
                if let s { for j in 0..<count { s[lo + j] += sum[j] } }
                for j in 0..<count { q[lo + j] += square[j] }
            }
        }
    }
}
