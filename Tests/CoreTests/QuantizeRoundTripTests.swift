import Core
import Foundation
import Testing
import TestSupport

/// Quantize, then read back with cfsp's own dequantizer: the error stays within what each
/// format's step allows, the K-quant searches beat plain round-to-nearest, and degenerate
/// input is either stored faithfully or refused by name.
@Suite("Quantization round trips")
struct QuantizeRoundTripTests {
    /// Levels on each side of zero (symmetric types) or steps over the range (types with a
    /// minimum): what one quantization step is measured against.
    private static func levels(_ type: TensorType) -> Float {
        switch type {
        case .q8_0: 127
        case .q4_0: 8
        case .q5_0: 16
        case .q4_1, .q4_K: 15
        case .q5_1, .q5_K: 31
        case .q6_K: 32
        default: 1
        }
    }

    /// How far f16 rounding may move `value`: half an ulp, 2^-11 relative for normal halves,
    /// 2^-25 absolute among subnormals (where small blocks' scales often land).
    private static func halfRounding(_ value: Float) -> Float {
        max(abs(value) * 0x1p-11, 0x1p-25)
    }

    /// The largest error allowed in a block, from its values: the rounding to a level (half a
    /// step; a whole step where a type clips the extreme opposite to the one that set its
    /// scale, as Q4_0, Q5_0 and Q6_K do), plus the f16 rounding of the stored scale times the
    /// largest level (and of the minimum). The K-quants' 6-bit sub-block scales cost more than
    /// half a step (measured worst cases on Gaussian rows: 0.68 of `range / 15` for Q4_K,
    /// 0.70 of `range / 31` for Q5_K), so those get a whole step.
    private static func bound(_ block: ArraySlice<Float>, _ type: TensorType) -> Float {
        let amax = block.map(abs).max() ?? 0
        let low = block.min() ?? 0
        let high = block.max() ?? 0
        let levels = levels(type)
        let limit: Float
        switch type {
        case .q8_0:
            let d = amax / levels
            limit = 0.5 * d + levels * halfRounding(d)
        case .q4_0, .q5_0:
            let d = amax / levels
            limit = d + levels * halfRounding(d)
        case .q4_1, .q5_1:
            let d = (high - low) / levels
            limit = 0.5 * d + levels * halfRounding(d) + halfRounding(low)
        case .q4_K, .q5_K:
            limit = (high - Swift.min(low, 0)) / levels + amax * 0x1p-10 + 1024 * 0x1p-25
        case .q6_K:
            limit = 1.05 * amax / levels + 4096 * 0x1p-25
        default:
            limit = 0
        }
        return limit * 1.0001
    }

    /// Values whose decoded block errors exceed `bound` (index, value, decoded).
    private func violations(_ values: [Float], _ type: TensorType) throws -> [(Int, Float, Float)] {
        let decoded = try QuantizeSamples.decoded(try Quantize.encode(values, as: type), type, count: values.count)
        var bad: [(Int, Float, Float)] = []
        for start in stride(from: 0, to: values.count, by: type.blockSize) {
            let block = values[start..<(start + type.blockSize)]
            let limit = Self.bound(block, type)
            for i in block.indices where !(abs(decoded[i] - values[i]) <= limit) {
                bad.append((i, values[i], decoded[i]))
            }
        }
        return bad
    }

    @Test("every block type reads back within its step bound", arguments: QuantizeSamples.blockTypes)
    func errorWithinFormatBound(type: TensorType) throws {
        let values = QuantizeSamples.varied(superBlocks: 60, seed: 3)
        let bad = try violations(values, type)
        #expect(bad.isEmpty, "\(bad.count) values beyond the bound, first: \(bad.prefix(3))")
    }

    /// Relative RMS error on weight-like Gaussian rows, against ggml's measured figures for the
    /// same data (Q8_0 0.0054, Q4_0 0.086, Q4_1 0.078, Q5_0 0.043, Q5_1 0.038, Q4_K 0.072,
    /// Q5_K 0.036, Q6_K 0.018) with 10 % headroom: the finer types must really be finer.
    @Test("relative RMS error on Gaussian rows is each type's", arguments: zip(
        QuantizeSamples.blockTypes, [0.006, 0.095, 0.086, 0.047, 0.042, 0.079, 0.040, 0.020] as [Double]))
    func gaussianRelativeError(type: TensorType, limit: Double) throws {
        var random = SeededGenerator(seed: 9)
        let values = (0..<(256 * 64)).map { _ in QuantizeSamples.gaussian(&random) * 0.02 }
        let decoded = try QuantizeSamples.decoded(try Quantize.encode(values, as: type), type, count: values.count)
        let relative = (QuantizeSamples.squaredError(values, decoded) / QuantizeSamples.squaredError(values, values.map { _ in 0 })).squareRoot()
        #expect(relative < limit, "relative RMS error \(relative)")
        #expect(relative > limit / 4, "relative RMS error \(relative) is implausibly small for \(type.rawValue)")
    }

    /// Squared error of the searched scales over plain round-to-nearest from each sub-block's
    /// extremes (both then go through the same 6- or 8-bit scale storage).
    private func searchGain(_ values: [Float], _ type: TensorType) throws -> Double {
        func error(_ choice: KQuantScaleChoice) throws -> Double {
            let bytes = try values.withUnsafeBufferPointer { try Quantize.encode($0, as: type, choice: choice) }
            return QuantizeSamples.squaredError(values, try QuantizeSamples.decoded(bytes, type, count: values.count))
        }
        return try error(.search) / error(.extremes)
    }

    @Test("the K-quant search beats round-to-nearest on random rows", arguments: [TensorType.q4_K, .q5_K, .q6_K])
    func searchBeatsNearestOnRandomRows(type: TensorType) throws {
        var random = SeededGenerator(seed: 5)
        let gaussian = (0..<(256 * 64)).map { _ in QuantizeSamples.gaussian(&random) * 0.02 }
        let varied = QuantizeSamples.varied(superBlocks: 60, seed: 8)
        // Measured: Gaussian 0.83 / 0.91 / 0.89, varied 0.51 / 0.56 / 0.76 (Q4_K / Q5_K / Q6_K).
        for values in [gaussian, varied] {
            let ratio = try searchGain(values, type)
            #expect(ratio < 0.97, "\(type.rawValue): search / nearest squared error = \(ratio)")
        }
    }

    /// Real rows: SmolLM2's token embedding from CFSP_MODEL, the one tensor of that file stored
    /// as Q8_0 (256 levels per 32 values, the nearest to unquantized weights it has; its Q4_1
    /// matrices hold only 16 levels per 32, which round-to-nearest already fits exactly).
    @Test("the K-quant search beats round-to-nearest on real weight rows", arguments: [TensorType.q4_K, .q5_K, .q6_K])
    func searchBeatsNearestOnRealRows(type: TensorType) throws {
        let file = try GGUFFile(path: try GGUFIntegration.modelPath())
        let embedding = try file.floats("token_embd.weight")
        // Measured 0.84-0.86 (Q4_K), 0.91-0.92 (Q5_K), 0.91-0.93 (Q6_K).
        for firstRow in [1000, 20000, 45000] {
            let rows = Array(embedding[(576 * firstRow)..<(576 * (firstRow + 128))])
            let ratio = try searchGain(rows, type)
            #expect(ratio < 0.97, "\(type.rawValue) rows from \(firstRow): search / nearest squared error = \(ratio)")
        }
    }

    @Test("all-zero blocks read back as zeros", arguments: QuantizeSamples.blockTypes)
    func zeroBlocks(type: TensorType) throws {
        let values = [Float](repeating: 0, count: 512)
        let bytes = try Quantize.encode(values, as: type)
        #expect(try QuantizeSamples.decoded(bytes, type, count: 512).allSatisfy { $0 == 0 })
    }

    @Test("constant blocks of any sign and size read back within a step", arguments: QuantizeSamples.blockTypes)
    func constantBlocks(type: TensorType) throws {
        for constant: Float in [1, -1, 0.0123, -3.5e-3, 250, -4000] {
            let values = [Float](repeating: constant, count: 256)
            let decoded = try QuantizeSamples.decoded(try Quantize.encode(values, as: type), type, count: 256)
            // One step of the value itself (f16 scales keep 11 bits, so far tighter in practice).
            let worst = zip(values, decoded).map { abs($0 - $1) }.max() ?? 0
            #expect(worst <= abs(constant) / Self.levels(type), "\(type.rawValue) constant \(constant): worst error \(worst)")
        }
    }

    @Test("huge and tiny magnitudes stay finite and bounded; beyond f16 scales they are refused", arguments: QuantizeSamples.blockTypes)
    func extremeMagnitudes(type: TensorType) throws {
        var random = SeededGenerator(seed: 2)
        let gaussian = (0..<256).map { _ in QuantizeSamples.gaussian(&random) }
        let peak = gaussian.map(abs).max() ?? 1
        let shape = gaussian.map { $0 / peak }
        // Just inside the largest magnitude the type's f16 scales hold: stored as faithfully as
        // small values; just beyond it, refused rather than stored as infinities.
        let largest = Quantize.largestMagnitude(type)
        #expect(try violations(shape.map { $0 * 0.999 * largest }, type).isEmpty)
        #expect(throws: QuantizeError.self) { try Quantize.encode(shape.map { $0 * 1.001 * largest }, as: type) }
        // Tiny values push scales into f16's subnormals, then to zero: what is stored is
        // coarser, never larger than the values nor non-finite.
        for scale: Float in [1e-5, 1e-7, 1e-12, 1e-30] {
            let tiny = shape.map { $0 * scale }
            let decoded = try QuantizeSamples.decoded(try Quantize.encode(tiny, as: type), type, count: 256)
            let amax = tiny.map(abs).max() ?? 0
            #expect(decoded.allSatisfy { $0.isFinite && abs($0) <= 2 * amax }, "\(type.rawValue) at \(scale)")
        }
        let huge = shape.map { $0 * 3e38 / 5 }
        #expect(throws: QuantizeError.self) { try Quantize.encode(huge, as: type) }
        var oneHugeBlock = [Float](repeating: 0.5, count: 512)
        oneHugeBlock[300] = 1e36
        let error = caughtError { try Quantize.encode(oneHugeBlock, as: type) } as? QuantizeError
        let start = 300 / type.blockSize * type.blockSize
        #expect(error == .scaleOverflow(type: type, index: start, magnitude: 1e36))
    }

    @Test("NaN and infinity are refused, naming the value", arguments: QuantizeSamples.blockTypes)
    func nonFiniteRefused(type: TensorType) throws {
        for bad: Float in [.nan, .infinity, -.infinity] {
            var values = [Float](repeating: 0.25, count: 512)
            values[77] = bad
            let error = caughtError { try Quantize.encode(values, as: type) } as? QuantizeError
            guard case .nonFinite(let errorType, let index, let value)? = error else {
                Issue.record("\(type.rawValue) with \(bad): \(String(describing: error))")
                continue
            }
            #expect(errorType == type && index == 77 && (value.isNaN ? bad.isNaN : value == bad))
        }
    }

    @Test("partial blocks are refused; dense types keep NaN and infinity")
    func sizesAndDenseTypes() throws {
        #expect(throws: QuantizeError.notWholeBlocks(type: .q4_K, count: 288, blockSize: 256)) {
            try Quantize.encode([Float](repeating: 1, count: 288), as: .q4_K)
        }
        #expect(throws: QuantizeError.notWholeBlocks(type: .q8_0, count: 40, blockSize: 32)) {
            try Quantize.encode([Float](repeating: 1, count: 40), as: .q8_0)
        }
        #expect(try Quantize.encode([], as: .q6_K).isEmpty)
        let special: [Float] = [.nan, .infinity, -1.5, 0x1p-20]
        for type in [TensorType.f32, .f16, .bf16] {
            let decoded = try QuantizeSamples.decoded(try Quantize.encode(special, as: type), type, count: 4)
            #expect(decoded[0].isNaN && decoded[1] == .infinity && decoded[2] == -1.5, "\(type.rawValue): \(decoded)")
        }
    }
}
