import Kernels

/// The shape of a LLaMA-family decoder, whatever file it came from.
///
/// FFN widths are per layer because pruned models (and `deci` files) have different widths in
/// every block: nothing may assume one `intermediate_size`.
public struct LlamaConfig: Sendable, Equatable, Codable {
    /// Architecture as the file names it (`llama`, `deci`).
    public var architecture: String
    public var vocabSize: Int
    public var hiddenSize: Int
    /// FFN width of each block; its count is the number of blocks.
    public var intermediateSizes: [Int]
    public var numHeads: Int
    public var numKVHeads: Int
    public var headDim: Int
    public var rmsNormEps: Float
    public var ropeTheta: Float
    public var contextLength: Int
    public var tieWordEmbeddings: Bool
    /// Rotary pairing the stored Q/K weights expect.
    public var ropeLayout: RotaryLayout

    public var numLayers: Int { intermediateSizes.count }

    public init(
        architecture: String, vocabSize: Int, hiddenSize: Int, intermediateSizes: [Int],
        numHeads: Int, numKVHeads: Int, headDim: Int, rmsNormEps: Float, ropeTheta: Float,
        contextLength: Int, tieWordEmbeddings: Bool, ropeLayout: RotaryLayout
    ) {
        self.architecture = architecture
        self.vocabSize = vocabSize
        self.hiddenSize = hiddenSize
        self.intermediateSizes = intermediateSizes
        self.numHeads = numHeads
        self.numKVHeads = numKVHeads
        self.headDim = headDim
        self.rmsNormEps = rmsNormEps
        self.ropeTheta = ropeTheta
        self.contextLength = contextLength
        self.tieWordEmbeddings = tieWordEmbeddings
        self.ropeLayout = ropeLayout
    }
}
