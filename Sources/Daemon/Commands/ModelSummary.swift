import Core
import Kernels

/// Human-readable lines describing a loaded model.
enum ModelSummary {
    static func lines(_ loaded: LoadedModel) -> [String] {
        let c = loaded.model.config
        let widths = Set(c.intermediateSizes).count == 1
            ? "\(c.intermediateSizes[0])" : c.intermediateSizes.map(String.init).joined(separator: ",")
        return [
            "model:        \(loaded.path) (\(loaded.format.rawValue))",
            "architecture: \(c.architecture), \(c.numLayers) blocks, hidden \(c.hiddenSize), heads \(c.numHeads) (KV \(c.numKVHeads), dim \(c.headDim))",
            "block:        \(c.blockSummary)",
            "ffn widths:   \(widths)",
            "vocabulary:   \(c.vocabSize) tokens\(c.tieWordEmbeddings ? ", tied embeddings" : "")",
            "context:      \(c.contextLength), rope theta \(c.ropeTheta), rms eps \(c.rmsNormEps)",
            "parameters:   \(loaded.model.parameterCount) (FFN \(loaded.model.ffnParameterCount)), \(loaded.model.precision.rawValue) in memory",
            "tokenizer:    \(loaded.tokenizer?.summary ?? "none")",
            VectorISA.summary,
        ]
    }
}
