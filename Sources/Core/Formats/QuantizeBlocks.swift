import Kernels

/// ggml's 32-value block types, one encoder per type: each turns the 32 f32 values at `x` into
/// one block at `p`, in the layouts `DequantizeBlocks` reads.
///
/// These are ggml's reference quantizers (round to nearest against the block's extreme value,
/// no search), in the same f32 operations and order, so the bytes equal ggml's and gguf-py's.
enum QuantizeBlocks {
    @inline(__always)
    private static func storeHalf(_ value: Float, _ p: UnsafeMutableRawPointer, _ offset: Int) {
        p.storeBytes(of: f16Bits(value).littleEndian, toByteOffset: offset, as: UInt16.self)
    }

    /// The value of largest magnitude (the first one on ties), with its sign.
    @inline(__always)
    private static func signedMax(_ x: UnsafePointer<Float>) -> Float {
        var amax: Float = 0
        var max: Float = 0
        for j in 0..<32 where amax < abs(x[j]) {
            amax = abs(x[j])
            max = x[j]
        }
        return max
    }

    /// Smallest and largest value.
    @inline(__always)
    private static func range(_ x: UnsafePointer<Float>) -> (min: Float, max: Float) {
        var low = Float.greatestFiniteMagnitude
        var high = -Float.greatestFiniteMagnitude
        for j in 0..<32 {
            if x[j] < low { low = x[j] }
            if x[j] > high { high = x[j] }
        }
        return (low, high)
    }

    /// Q8_0: d = max|x| / 127, q = round(x / d) (half away from zero).
    static func q8_0(_ x: UnsafePointer<Float>, _ p: UnsafeMutableRawPointer) {
        var amax: Float = 0
        for j in 0..<32 { amax = Swift.max(amax, abs(x[j])) }
        let d = amax / 127
        let id: Float = d != 0 ? 1 / d : 0
        storeHalf(d, p, 0)
        for j in 0..<32 {
            let q = QuantizeRounding.away(x[j] * id)
            p.storeBytes(of: Int8(QuantizeRounding.clamp(q, -128, 127)), toByteOffset: 2 + j, as: Int8.self)
        }
    }

    /// Q4_0: d = (the value of largest magnitude) / -8, q = min(15, trunc(x / d + 8.5)); the
    /// extreme value maps to q = 0 exactly, its opposite is clipped at 15.
    static func q4_0(_ x: UnsafePointer<Float>, _ p: UnsafeMutableRawPointer) {
        let d = signedMax(x) / -8
        let id: Float = d != 0 ? 1 / d : 0
        storeHalf(d, p, 0)
        for j in 0..<16 {
            let low = QuantizeRounding.clamp(QuantizeRounding.truncate(x[j] * id + 8.5), 0, 15)
            let high = QuantizeRounding.clamp(QuantizeRounding.truncate(x[j + 16] * id + 8.5), 0, 15)
            p.storeBytes(of: UInt8(low | high << 4), toByteOffset: 2 + j, as: UInt8.self)
        }
    }

    /// Q4_1: d = (max - min) / 15, m = min, q = min(15, trunc((x - min) / d + 0.5)).
    static func q4_1(_ x: UnsafePointer<Float>, _ p: UnsafeMutableRawPointer) {
        let (low, high) = range(x)
        let d = (high - low) / 15
        let id: Float = d != 0 ? 1 / d : 0
        storeHalf(d, p, 0)
        storeHalf(low, p, 2)
        for j in 0..<16 {
            let a = QuantizeRounding.clamp(QuantizeRounding.truncate((x[j] - low) * id + 0.5), 0, 15)
            let b = QuantizeRounding.clamp(QuantizeRounding.truncate((x[j + 16] - low) * id + 0.5), 0, 15)
            p.storeBytes(of: UInt8(a | b << 4), toByteOffset: 4 + j, as: UInt8.self)
        }
    }

    /// The 4-bit nibbles of 32 five-bit quants (value j low in byte j, value j + 16 high) and
    /// their fifth bits as a little-endian u32 (bit j for value j).
    @inline(__always)
    private static func store5(_ q: (Int, Int), _ j: Int, _ p: UnsafeMutableRawPointer, nibbles: Int, highBits qh: inout UInt32) {
        p.storeBytes(of: UInt8((q.0 & 0x0F) | (q.1 & 0x0F) << 4), toByteOffset: nibbles + j, as: UInt8.self)
        qh |= UInt32((q.0 & 0x10) >> 4) << UInt32(j)
        qh |= UInt32((q.1 & 0x10) >> 4) << UInt32(j + 16)
    }

    /// Q5_0: d = (the value of largest magnitude) / -16, q = min(31, trunc(x / d + 16.5)).
    static func q5_0(_ x: UnsafePointer<Float>, _ p: UnsafeMutableRawPointer) {
        let d = signedMax(x) / -16
        let id: Float = d != 0 ? 1 / d : 0
        storeHalf(d, p, 0)
        var qh: UInt32 = 0
        for j in 0..<16 {
            let a = QuantizeRounding.clamp(QuantizeRounding.truncate(x[j] * id + 16.5), 0, 31)
            let b = QuantizeRounding.clamp(QuantizeRounding.truncate(x[j + 16] * id + 16.5), 0, 31)
            store5((a, b), j, p, nibbles: 6, highBits: &qh)
        }
        p.storeBytes(of: qh.littleEndian, toByteOffset: 2, as: UInt32.self)
    }

    /// Q5_1: d = (max - min) / 31, m = min, q = trunc((x - min) / d + 0.5).
    static func q5_1(_ x: UnsafePointer<Float>, _ p: UnsafeMutableRawPointer) {
        let (low, high) = range(x)
        let d = (high - low) / 31
        let id: Float = d != 0 ? 1 / d : 0
        storeHalf(d, p, 0)
        storeHalf(low, p, 2)
        var qh: UInt32 = 0
        for j in 0..<16 {
            let a = QuantizeRounding.clamp(QuantizeRounding.truncate((x[j] - low) * id + 0.5), 0, 31)
            let b = QuantizeRounding.clamp(QuantizeRounding.truncate((x[j + 16] - low) * id + 0.5), 0, 31)
            store5((a, b), j, p, nibbles: 8, highBits: &qh)
        }
        p.storeBytes(of: qh.littleEndian, toByteOffset: 4, as: UInt32.self)
    }
}
