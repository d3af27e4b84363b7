import Kernels

/// ggml's 256-value K-quant super-blocks, one encoder per type: each turns the 256 f32 values
/// at `x` into one block at `p`, in the layouts `DequantizeBlocks` reads.
///
/// Each sub-block gets its own scale (and minimum) from `QuantizeKSearch`; those are then
/// stored relative to the block's largest (6 bits for Q4_K/Q5_K, 8 for Q6_K, with f16 block
/// scales) and every value is re-rounded against the scale actually stored.
enum QuantizeKBlocks {
    @inline(__always)
    private static func storeHalf(_ value: Float, _ p: UnsafeMutableRawPointer, _ offset: Int) -> Float {
        let bits = f16Bits(value)
        p.storeBytes(of: bits.littleEndian, toByteOffset: offset, as: UInt16.self)
        return floatFromF16(bits)
    }

    /// The search of Q4_K (15 levels) and Q5_K (31 levels): llama.cpp's grids for each.
    private static func grid(nmax: Int) -> QuantizeKSearch.Grid {
        nmax == 15 ? .init(start: -1, step: 0.1, steps: 20) : .init(start: -0.5, step: 0.1, steps: 15)
    }

    /// Q4_K and Q5_K share everything but the level count and where the fifth bits go:
    /// 8 sub-blocks of 32, weights `rms(sub-block) + |x|`, 6-bit scales and minimums packed in
    /// 12 bytes at offset 4, f16 `d` and `dmin` at 0 and 2. Returns the levels (0...nmax).
    private static func scaledMinimumLevels(
        _ x: UnsafePointer<Float>, _ p: UnsafeMutableRawPointer, nmax: Int, choice: KQuantScaleChoice,
        _ levels: UnsafeMutablePointer<UInt8>
    ) {
        withUnsafeTemporaryAllocation(of: Float.self, capacity: 32 + 16) { floats in
            withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 48) { bytes in
                let scratch = bytes.baseAddress!
                let storedScales = scratch + 32
                let storedMins = scratch + 40
                let weights = floats.baseAddress!
                let scales = weights + 32
                let mins = weights + 40
                var maxScale: Float = 0
                var maxMin: Float = 0
                for j in 0..<8 {
                    let sub = x + 32 * j
                    var sumX2: Float = 0
                    for l in 0..<32 { sumX2 += sub[l] * sub[l] }
                    let average = (sumX2 / 32).squareRoot()
                    for l in 0..<32 { weights[l] = average + abs(sub[l]) }
                    let fit = QuantizeKSearch.scaleAndMinimum(
                        sub, weights: weights, count: 32, nmax: nmax, grid: grid(nmax: nmax),
                        levels: levels + 32 * j, scratch: scratch, choice: choice)
                    scales[j] = fit.scale
                    mins[j] = fit.minimum
                    if fit.scale > maxScale { maxScale = fit.scale }
                    if fit.minimum > maxMin { maxMin = fit.minimum }
                }
                let inverseScale: Float = maxScale > 0 ? 63 / maxScale : 0
                let inverseMin: Float = maxMin > 0 ? 63 / maxMin : 0
                let packed = p + 4
                for j in 0..<12 { packed.storeBytes(of: 0, toByteOffset: j, as: UInt8.self) }
                for j in 0..<8 {
                    let ls = Swift.min(63, UInt8(truncatingIfNeeded: QuantizeRounding.nearest(inverseScale * scales[j])))
                    let lm = Swift.min(63, UInt8(truncatingIfNeeded: QuantizeRounding.nearest(inverseMin * mins[j])))
                    storedScales[j] = ls
                    storedMins[j] = lm
                    if j < 4 {
                        packed.storeBytes(of: ls, toByteOffset: j, as: UInt8.self)
                        packed.storeBytes(of: lm, toByteOffset: j + 4, as: UInt8.self)
                    } else {
                        packed.storeBytes(of: (ls & 0x0F) | (lm & 0x0F) << 4, toByteOffset: j + 4, as: UInt8.self)
                        let top = packed.load(fromByteOffset: j - 4, as: UInt8.self) | (ls >> 4) << 6
                        packed.storeBytes(of: top, toByteOffset: j - 4, as: UInt8.self)
                        let topMin = packed.load(fromByteOffset: j, as: UInt8.self) | (lm >> 4) << 6
                        packed.storeBytes(of: topMin, toByteOffset: j, as: UInt8.self)
                    }
                }
                let d = storeHalf(maxScale / 63, p, 0)
                let dmin = storeHalf(maxMin / 63, p, 2)
                for j in 0..<8 {
                    let step = d * Float(storedScales[j])
                    guard step != 0 else { continue }
                    let offset = dmin * Float(storedMins[j])
                    for l in 0..<32 {
                        let q = QuantizeRounding.nearest((x[32 * j + l] + offset) / step)
                        levels[32 * j + l] = UInt8(QuantizeRounding.clamp(q, 0, nmax))
                    }
                }
            }
        }
    }

    /// Q4_K: 4-bit levels; each 32-byte chunk holds two sub-blocks (the first in low nibbles).
    static func q4_K(_ x: UnsafePointer<Float>, _ p: UnsafeMutableRawPointer, choice: KQuantScaleChoice) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 256) { buffer in
            let levels = buffer.baseAddress!
            scaledMinimumLevels(x, p, nmax: 15, choice: choice, levels)
            let qs = p + 16
            for chunk in 0..<4 {
                for l in 0..<32 {
                    let byte = levels[64 * chunk + l] | levels[64 * chunk + 32 + l] << 4
                    qs.storeBytes(of: byte, toByteOffset: 32 * chunk + l, as: UInt8.self)
                }
            }
        }
    }

    /// Q5_K: as Q4_K, with each level's fifth bit in 32 bytes at offset 16 (bit `sub` of
    /// byte `l` for value `l` of sub-block `sub`) and the nibbles from offset 48.
    static func q5_K(_ x: UnsafePointer<Float>, _ p: UnsafeMutableRawPointer, choice: KQuantScaleChoice) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 256) { buffer in
            let levels = buffer.baseAddress!
            scaledMinimumLevels(x, p, nmax: 31, choice: choice, levels)
            let qh = p + 16
            let qs = p + 48
            for l in 0..<32 {
                var high: UInt8 = 0
                for sub in 0..<8 where levels[32 * sub + l] > 15 { high |= 1 << UInt8(sub) }
                qh.storeBytes(of: high, toByteOffset: l, as: UInt8.self)
            }
            for chunk in 0..<4 {
                for l in 0..<32 {
                    let byte = (levels[64 * chunk + l] & 0x0F) | (levels[64 * chunk + 32 + l] & 0x0F) << 4
                    qs.storeBytes(of: byte, toByteOffset: 32 * chunk + l, as: UInt8.self)
                }
            }
        }
    }

    /// Q6_K: 16 sub-blocks of 16 with symmetric 6-bit levels (`QuantizeKSearch.symmetricScale`);
    /// their scales stored as signed bytes relative to the block's largest (which maps to
    /// -128), f16 `d` at offset 208. An all-zero block is all zero bytes.
    static func q6_K(_ x: UnsafePointer<Float>, _ p: UnsafeMutableRawPointer, choice: KQuantScaleChoice) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 256) { buffer in
            withUnsafeTemporaryAllocation(of: Float.self, capacity: 16) { scaleBuffer in
                let levels = buffer.baseAddress!
                let scales = scaleBuffer.baseAddress!
                var maxScale: Float = 0
                var maxAbsScale: Float = 0
                for sub in 0..<16 {
                    let scale = QuantizeKSearch.symmetricScale(x + 16 * sub, count: 16, nmax: 32, levels: levels + 16 * sub, choice: choice)
                    scales[sub] = scale
                    if abs(scale) > maxAbsScale {
                        maxAbsScale = abs(scale)
                        maxScale = scale
                    }
                }
                for j in 0..<210 { p.storeBytes(of: 0, toByteOffset: j, as: UInt8.self) }
                guard maxAbsScale >= 1e-15 else { return }
                let iscale = -128 / maxScale
                let d = storeHalf(1 / iscale, p, 208)
                for sub in 0..<16 {
                    let stored = Int8(truncatingIfNeeded: Swift.min(127, QuantizeRounding.nearest(iscale * scales[sub])))
                    p.storeBytes(of: stored, toByteOffset: 192 + sub, as: Int8.self)
                }
                for sub in 0..<16 {
                    let step = d * Float(p.load(fromByteOffset: 192 + sub, as: Int8.self))
                    guard step != 0 else { continue }
                    for l in 0..<16 {
                        let q = QuantizeRounding.clamp(QuantizeRounding.nearest(x[16 * sub + l] / step), -32, 31)
                        levels[16 * sub + l] = UInt8(q + 32)
                    }
                }
                for half in 0..<2 {
                    let L = levels + 128 * half
                    let ql = p + 64 * half
                    let qh = p + 128 + 32 * half
                    for l in 0..<32 {
                        ql.storeBytes(of: (L[l] & 0x0F) | (L[l + 64] & 0x0F) << 4, toByteOffset: l, as: UInt8.self)
                        ql.storeBytes(of: (L[l + 32] & 0x0F) | (L[l + 96] & 0x0F) << 4, toByteOffset: l + 32, as: UInt8.self)
                        let high = (L[l] >> 4) | (L[l + 32] >> 4) << 2 | (L[l + 64] >> 4) << 4 | (L[l + 96] >> 4) << 6
                        qh.storeBytes(of: high, toByteOffset: l, as: UInt8.self)
                    }
                }
            }
        }
    }
}
