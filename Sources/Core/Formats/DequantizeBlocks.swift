import Kernels
/// ggml block layouts, one function per type: each turns one block at `p` into f32 values at `y`.
///
/// Arithmetic order follows ggml's reference dequantization (scale products first, then times
/// the quant, then minus the scaled minimum), so results are bit-identical to it.
enum DequantizeBlocks {
    @inline(__always)
    private static func byte(_ p: UnsafeRawPointer, _ i: Int) -> UInt8 {
        p.load(fromByteOffset: i, as: UInt8.self)
    }

    @inline(__always)
    private static func half(_ p: UnsafeRawPointer, _ i: Int) -> Float {
        floatFromF16(UInt16(littleEndian: p.loadUnaligned(fromByteOffset: i, as: UInt16.self)))
    }

    /// Q8_0: f16 scale `d`, then 32 signed bytes; value = q * d.
    static func q8_0(_ p: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>) {
        let d = half(p, 0)
        for i in 0..<32 {
            y[i] = Float(Int8(bitPattern: byte(p, 2 + i))) * d
        }
    }

    /// Q4_0: f16 scale `d`, then 16 bytes of nibbles; low nibbles are values 0..<16, high
    /// nibbles 16..<32; value = d * (q - 8).
    static func q4_0(_ p: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>) {
        let d = half(p, 0)
        for i in 0..<16 {
            let q = byte(p, 2 + i)
            y[i] = d * Float(Int(q & 0x0F) - 8)
            y[i + 16] = d * Float(Int(q >> 4) - 8)
        }
    }

    /// Q4_1: f16 scale `d`, f16 minimum `m`, then 16 bytes of nibbles laid out as in Q4_0;
    /// value = d * q + m.
    static func q4_1(_ p: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>) {
        let d = half(p, 0)
        let m = half(p, 2)
        for i in 0..<16 {
            let q = byte(p, 4 + i)
            y[i] = d * Float(q & 0x0F) + m
            y[i + 16] = d * Float(q >> 4) + m
        }
    }

    /// The 32 fifth bits of a Q5_0/Q5_1 block: bit `j` belongs to value `j`.
    @inline(__always)
    private static func highBits(_ p: UnsafeRawPointer, _ i: Int) -> UInt32 {
        UInt32(littleEndian: p.loadUnaligned(fromByteOffset: i, as: UInt32.self))
    }

    /// Q5_0: f16 scale `d`, 4 bytes of fifth bits (a little-endian u32), then 16 bytes of
    /// nibbles laid out as in Q4_0; value = d * (q - 16).
    static func q5_0(_ p: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>) {
        let d = half(p, 0)
        let qh = highBits(p, 2)
        for i in 0..<16 {
            let q = byte(p, 6 + i)
            let low = Int(q & 0x0F) | Int((qh >> UInt32(i)) & 1) << 4
            let high = Int(q >> 4) | Int((qh >> UInt32(i + 16)) & 1) << 4
            y[i] = d * Float(low - 16)
            y[i + 16] = d * Float(high - 16)
        }
    }

    /// Q5_1: f16 scale `d`, f16 minimum `m`, 4 bytes of fifth bits, then 16 bytes of nibbles
    /// laid out as in Q5_0; value = d * q + m.
    static func q5_1(_ p: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>) {
        let d = half(p, 0)
        let m = half(p, 2)
        let qh = highBits(p, 4)
        for i in 0..<16 {
            let q = byte(p, 8 + i)
            let low = UInt32(q & 0x0F) | ((qh >> UInt32(i)) & 1) << 4
            let high = UInt32(q >> 4) | ((qh >> UInt32(i + 16)) & 1) << 4
            y[i] = d * Float(low) + m
            y[i + 16] = d * Float(high) + m
        }
    }

    /// The 6-bit scale and minimum of sub-block `j` (0..<8) from the 12 packed bytes at `s`
    /// shared by Q4_K and Q5_K: bytes 0-3 hold scales 0-3 (low 6 bits), bytes 4-7 minimums
    /// 0-3; scales/minimums 4-7 take their low 4 bits from bytes 8-11 and their top 2 bits
    /// from the top bits of bytes 0-3 / 4-7.
    @inline(__always)
    private static func scaleAndMin(_ s: UnsafeRawPointer, _ j: Int) -> (scale: UInt8, min: UInt8) {
        if j < 4 {
            return (byte(s, j) & 0x3F, byte(s, j + 4) & 0x3F)
        }
        let scale = (byte(s, j + 4) & 0x0F) | ((byte(s, j - 4) >> 6) << 4)
        let min = (byte(s, j + 4) >> 4) | ((byte(s, j) >> 6) << 4)
        return (scale, min)
    }

    /// Q4_K (256 values): f16 `d`, f16 `dmin`, 12 bytes of packed 6-bit scales/minimums for 8
    /// sub-blocks of 32, then 128 bytes of nibbles: each 32-byte chunk holds two sub-blocks (low
    /// nibbles first). value = (d * scale) * q - (dmin * min).
    static func q4_K(_ p: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>) {
        let d = half(p, 0)
        let dmin = half(p, 2)
        let scales = p + 4
        let qs = p + 16
        for sub in 0..<8 {
            let (scale, min) = scaleAndMin(scales, sub)
            let dl = d * Float(scale)
            let ml = dmin * Float(min)
            let chunk = qs + (sub / 2) * 32
            let shift: UInt8 = sub % 2 == 0 ? 0 : 4
            for l in 0..<32 {
                let q = (byte(chunk, l) >> shift) & 0x0F
                y[sub * 32 + l] = dl * Float(q) - ml
            }
        }
    }

    /// Q5_K (256 values): as Q4_K, plus 32 bytes of high bits between the scales and the nibbles;
    /// bit `sub` of byte `l` is the fifth bit of value `l` of sub-block `sub`.
    static func q5_K(_ p: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>) {
        let d = half(p, 0)
        let dmin = half(p, 2)
        let scales = p + 4
        let qh = p + 16
        let qs = p + 48
        for sub in 0..<8 {
            let (scale, min) = scaleAndMin(scales, sub)
            let dl = d * Float(scale)
            let ml = dmin * Float(min)
            let chunk = qs + (sub / 2) * 32
            let shift: UInt8 = sub % 2 == 0 ? 0 : 4
            for l in 0..<32 {
                let low = (byte(chunk, l) >> shift) & 0x0F
                let high = ((byte(qh, l) >> UInt8(sub)) & 1) << 4
                y[sub * 32 + l] = dl * Float(low | high) - ml
            }
        }
    }

    /// Q6_K (256 values): 128 bytes of low nibbles, 64 bytes of 2-bit high parts, 16 signed
    /// 8-bit scales (one per 16 values), then f16 `d`. Each half of 128 values uses 64 low-nibble
    /// bytes and 32 high bytes; quarter `i` (32 values) takes nibble `i / 2` of low byte
    /// `(i % 2) * 32 + l` and bits `2i...2i+1` of high byte `l`. value = (d * scale) * (q - 32).
    static func q6_K(_ p: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>) {
        let ql = p
        let qh = p + 128
        let scales = p + 192
        let d = half(p, 208)
        for h in 0..<2 {
            for i in 0..<4 {
                let lowBase = h * 64 + (i % 2) * 32
                let lowShift: UInt8 = i < 2 ? 0 : 4
                for l in 0..<32 {
                    let index = h * 128 + i * 32 + l
                    let low = (byte(ql, lowBase + l) >> lowShift) & 0x0F
                    let high = (byte(qh, h * 32 + l) >> UInt8(2 * i)) & 0x03
                    let q = Int(low | (high << 4)) - 32
                    let scale = Float(Int8(bitPattern: byte(scales, index / 16)))
                    y[index] = (d * scale) * Float(q)
                }
            }
        }
    }
}
