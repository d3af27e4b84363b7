import Foundation

/// Llama 3's rotary scaling (`rope_type: "llama3"`): long wavelengths are stretched by
/// `factor`, short ones kept, and the band between blended, so a model trained on
/// `originalContext` tokens reaches a longer context.
public struct Llama3RopeScaling: Sendable, Equatable, Codable {
    public var factor: Double
    public var lowFrequencyFactor: Double
    public var highFrequencyFactor: Double
    public var originalContext: Int

    public init(factor: Double, lowFrequencyFactor: Double, highFrequencyFactor: Double, originalContext: Int) {
        self.factor = factor
        self.lowFrequencyFactor = lowFrequencyFactor
        self.highFrequencyFactor = highFrequencyFactor
        self.originalContext = originalContext
    }

    /// The divisor of each rotary pair's frequency theta^(-2i/headDim), i in 0..<headDim/2, as
    /// transformers computes the scaled frequencies and llama.cpp's converter stores them in
    /// `rope_freqs.weight`: 1 for wavelengths below originalContext/highFrequencyFactor,
    /// `factor` above originalContext/lowFrequencyFactor, 1/((1-s)/factor + s) between, with
    /// s = (originalContext/wavelength - low) / (high - low).
    public func frequencyFactors(headDim: Int, theta: Double) -> [Float] {
        let lowWavelength = Double(originalContext) / lowFrequencyFactor
        let highWavelength = Double(originalContext) / highFrequencyFactor
        return (0..<(headDim / 2)).map { i in
            let frequency = pow(theta, -Double(2 * i) / Double(headDim))
            let wavelength = 2 * Double.pi / frequency
            if wavelength < highWavelength { return 1 }
            if wavelength > lowWavelength { return Float(factor) }
            let smooth = (Double(originalContext) / wavelength - lowFrequencyFactor)
                / (highFrequencyFactor - lowFrequencyFactor)
            return Float(1 / ((1 - smooth) / factor + smooth))
        }
    }

    /// The parameters that give `factors` (a GGUF file's `rope_freqs.weight`, which keeps only
    /// the factors), so a Llama 3 model read from GGUF can be written to config.json. The
    /// factor is the largest divisor; with the low-frequency factor taken as 1 (Llama 3's),
    /// the high-frequency factor and the original context follow from the blended band by
    /// least squares. nil unless the recovered parameters reproduce every factor to 1e-5.
    public static func inferred(fromFactors factors: [Float], headDim: Int, theta: Double) -> Llama3RopeScaling? {
        guard let top = factors.max(), top > 1, factors.count == headDim / 2 else { return nil }
        let factor = Double(top)
        // Rows of  C / wavelength - s (high - 1) = 1 - s  over the blended band, s from each factor.
        var rows: [(a: Double, b: Double, c: Double)] = []
        for (i, f) in factors.enumerated() where Double(f) > 1 + 1e-6 && Double(f) < factor - 1e-6 {
            let s = (1 / Double(f) - 1 / factor) / (1 - 1 / factor)
            let wavelength = 2 * Double.pi / pow(theta, -Double(2 * i) / Double(headDim))
            rows.append((1 / wavelength, -s, 1 - s))
        }
        guard rows.count >= 2 else { return nil }
        // Normal equations of the 2 x 2 least-squares problem in (C, high).
        var aa = 0.0, ab = 0.0, bb = 0.0, ac = 0.0, bc = 0.0
        for r in rows { aa += r.a * r.a; ab += r.a * r.b; bb += r.b * r.b; ac += r.a * r.c; bc += r.b * r.c }
        let det = aa * bb - ab * ab
        guard abs(det) > 0 else { return nil }
        let context = ((ac * bb - ab * bc) / det).rounded()
        let high = (aa * bc - ab * ac) / det
        // Factors that are not Llama 3's (a corrupt file) can give any value here (-5e19, NaN):
        // only a positive one that fits an Int is a candidate (`Int(_:)` would trap on the rest).
        guard context >= 1, context < 0x1p62 else { return nil }
        let candidate = Llama3RopeScaling(factor: factor, lowFrequencyFactor: 1, highFrequencyFactor: high,
                                          originalContext: Int(context))
        guard (try? candidate.validate()) != nil else { return nil }
        let again = candidate.frequencyFactors(headDim: headDim, theta: theta)
        guard zip(again, factors).allSatisfy({ abs($0 - $1) <= 1e-5 * $1 }) else { return nil }
        return candidate
    }

    /// Checks the parameters: positive factors, high > low, a positive original context.
    func validate() throws(ModelError) {
        guard factor.isFinite, factor >= 1, lowFrequencyFactor.isFinite, lowFrequencyFactor > 0,
              highFrequencyFactor.isFinite, highFrequencyFactor > lowFrequencyFactor, originalContext > 0
        else {
            throw .invalidConfig("llama3 rope scaling needs factor >= 1, 0 < low_freq_factor < high_freq_factor and a positive original_max_position_embeddings (got \(self))")
        }
    }
}
