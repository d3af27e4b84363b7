import Kernels

extension LoRANetwork {
    /// The base model with every adapter folded into its weights, W' = W + s B A, repacked in
    /// the base model's precision: the pruned shapes, no extra layers. Norms, embeddings, head
    /// and biases are the base model's.
    public func mergedModel(pool: ThreadPool) throws -> LlamaModel {
        var blocks = model.blocks
        for l in blocks.indices {
            for target in LoRATarget.allCases {
                let layout = layouts[l][target.rawValue]
                if layout.rank == 0 { continue }
                let base = target.weights(in: model.blocks[l])
                var values = base.unpacked()
                let r = layout.rank, n = layout.inputs, m = layout.outputs
                var scaledB = [Float](repeating: 0, count: m * r)
                var transposedA = [Float](repeating: 0, count: n * r)
                for i in 0..<(m * r) { scaledB[i] = parameters[layout.bOffset + i] * layout.scaling }
                transposedA.withUnsafeMutableBufferPointer {
                    transposeMatrix(parameters + layout.aOffset, rows: r, cols: n, lda: n, into: $0.baseAddress!)
                }
                values.withUnsafeMutableBufferPointer { w in
                    scaledB.withUnsafeBufferPointer { b in
                        transposedA.withUnsafeBufferPointer { at in
                            matmulTransposed(m: m, n: n, k: r, a: b.baseAddress!, lda: r, b: at.baseAddress!, ldb: r,
                                             c: w.baseAddress!, ldc: n, accumulate: true, pool: pool)
                        }
                    }
                }
                target.set(PackedWeights(rows: m, cols: n, values: values, precision: model.precision), in: &blocks[l])
            }
        }
        return try LlamaModel(config: model.config, embeddings: model.embeddings, blocks: blocks,
                              finalNorm: model.finalNorm, outputHead: model.outputHead, precision: model.precision)
    }
}
