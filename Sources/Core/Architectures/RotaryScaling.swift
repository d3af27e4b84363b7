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

    /// Checks the parameters: positive factors, high > low, a positive original context.
    func validate() throws(ModelError) {
        guard factor.isFinite, factor >= 1, lowFrequencyFactor.isFinite, lowFrequencyFactor > 0,
              highFrequencyFactor.isFinite, highFrequencyFactor > lowFrequencyFactor, originalContext > 0
        else {
            throw .invalidConfig("llama3 rope scaling needs factor >= 1, 0 < low_freq_factor < high_freq_factor and a positive original_max_position_embeddings (got \(self))")
        }
    }
}
