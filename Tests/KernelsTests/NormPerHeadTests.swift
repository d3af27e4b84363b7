import Testing
import Kernels
import TestSupport

/// RMSNorm applied per attention head in place (Qwen3 / Gemma 3 query-key norm): rows =
/// tokens * heads, cols = headDim, one headDim weight; the forward output and the backward
/// gradient may overwrite their inputs.
@Suite("RMSNorm per head, in place")
struct NormPerHeadTests {
    static func buffers(tokens: Int, heads: Int, headDim: Int, seed: UInt64) -> (x: [Float], weight: [Float], gradOut: [Float]) {
        var random = TestRandom(seed: seed)
        return (random.floats(tokens * heads * headDim, -3, 3), random.floats(headDim, 0.5, 1.5),
                random.floats(tokens * heads * headDim))
    }

    @Test("forward in place equals the separate output and the Double loop", arguments: [20, 64, 128, 256])
    func forwardInPlace(headDim: Int) {
        let tokens = 7, heads = 4, rows = tokens * heads
        let b = Self.buffers(tokens: tokens, heads: heads, headDim: headDim, seed: 31 + UInt64(headDim))
        var separate = [Float](repeating: .nan, count: b.x.count)
        rmsNorm(b.x, rows: rows, cols: headDim, weight: b.weight, eps: 1e-6, into: &separate)
        var inPlace = b.x
        inPlace.withUnsafeMutableBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return }
            rmsNorm(base, rows: rows, cols: headDim, weight: b.weight, eps: 1e-6, into: base)
        }
        #expect(inPlace.map(\.bitPattern) == separate.map(\.bitPattern))
        let want = NormTests.reference(b.x, rows: rows, cols: headDim, weight: b.weight, eps: 1e-6)
        #expect(opsWorstError(inPlace, want, absolute: 1e-6, relative: 2e-6) <= 1)
    }

    @Test("backward: gradInput may alias gradOut, x, or both, with the same bits", arguments: [20, 64, 128, 256])
    func backwardAliasing(headDim: Int) {
        let tokens = 5, heads = 3, rows = tokens * heads
        let b = Self.buffers(tokens: tokens, heads: heads, headDim: headDim, seed: 41 + UInt64(headDim))
        let eps: Float = 1e-6
        var gradInput = [Float](repeating: .nan, count: b.x.count)
        var gradWeight = [Float](repeating: 0.5, count: headDim)
        rmsNormBackward(b.x, rows: rows, cols: headDim, weight: b.weight, eps: eps, gradOut: b.gradOut,
                        gradInput: &gradInput, gradWeight: &gradWeight)

        // Over gradOut (the usual in-place use).
        var overGradOut = b.gradOut
        var weightOverGradOut = [Float](repeating: 0.5, count: headDim)
        overGradOut.withUnsafeMutableBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return }
            rmsNormBackward(b.x, rows: rows, cols: headDim, weight: b.weight, eps: eps, gradOut: base,
                            gradInput: base, gradWeight: &weightOverGradOut)
        }
        #expect(overGradOut.map(\.bitPattern) == gradInput.map(\.bitPattern))
        #expect(weightOverGradOut.map(\.bitPattern) == gradWeight.map(\.bitPattern))

        // Over x.
        var overX = b.x
        var weightOverX = [Float](repeating: 0.5, count: headDim)
        overX.withUnsafeMutableBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return }
            rmsNormBackward(base, rows: rows, cols: headDim, weight: b.weight, eps: eps, gradOut: b.gradOut,
                            gradInput: base, gradWeight: &weightOverX)
        }
        #expect(overX.map(\.bitPattern) == gradInput.map(\.bitPattern))
        #expect(weightOverX.map(\.bitPattern) == gradWeight.map(\.bitPattern))

        // x, gradOut and gradInput all one buffer (gradOut = x).
        var reference = [Float](repeating: .nan, count: b.x.count)
        rmsNormBackward(b.x, rows: rows, cols: headDim, weight: b.weight, eps: eps, gradOut: b.x,
                        gradInput: &reference)
        var all = b.x
        all.withUnsafeMutableBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return }
            rmsNormBackward(base, rows: rows, cols: headDim, weight: b.weight, eps: eps, gradOut: base, gradInput: base)
        }
        #expect(all.map(\.bitPattern) == reference.map(\.bitPattern))
    }
}
