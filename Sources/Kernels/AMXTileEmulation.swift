/// A scalar model of the AMX tile unit that follows Intel's definition of TDPBF16PS exactly
/// (Intel SDM vol. 2, "TDPBF16PS — Dot Product of BF16 Tiles Accumulated into Packed Single
/// Precision Tile", Operation section), so the tile GEMM's packing, blocking and edge handling
/// are tested on every machine. Per accumulator row m and column n, one instruction computes
///
///     even = 0; odd = 0
///     for k in 0..<16:                       // the A row's 16 pairs, in order
///         even = fma(a[m].bf16[2k],   b[k].bf16[2n],   even)
///         odd  = fma(a[m].bf16[2k+1], b[k].bf16[2n+1], odd)
///     c[m][n] = c[m][n] + (even + odd)
///
/// with every operation in f32, round to nearest even, bf16 inputs that are subnormal read as
/// (signed) zero (DAZ) and every subnormal result flushed to (signed) zero (FTZ); MXCSR plays no
/// part. So the even and odd halves of the pairs accumulate separately over the 16 pairs and
/// meet only once per instruction; this differs from vdpbf16ps, which adds the odd product
/// then the even product into the accumulator pair by pair. NaN payloads are not modelled
/// (IEEE propagation of Swift's arithmetic; no kernel input should hold NaN).
final class EmulatedBF16Tiles: BF16TileUnit {
    /// Eight tiles of 16 x 16 u32 words.
    private let words: UnsafeMutablePointer<UInt32>
    private static let tileWords = AMXTile.rows * AMXTile.rowWords

    init() {
        words = .allocate(capacity: AMXTile.registers * EmulatedBF16Tiles.tileWords)
        words.initialize(repeating: 0, count: AMXTile.registers * EmulatedBF16Tiles.tileWords)
    }

    deinit { words.deallocate() }

    private func tile(_ index: Int) -> UnsafeMutablePointer<UInt32> {
        precondition(index >= 0 && index < AMXTile.registers, "tile \(index) out of tmm0..tmm7")
        return words + index * EmulatedBF16Tiles.tileWords
    }

    func configure() { words.update(repeating: 0, count: AMXTile.registers * EmulatedBF16Tiles.tileWords) }

    func zero(_ tile: Int) { self.tile(tile).update(repeating: 0, count: EmulatedBF16Tiles.tileWords) }

    func load(_ tile: Int, from base: UnsafeRawPointer, stride: Int) {
        let destination = self.tile(tile)
        for row in 0..<AMXTile.rows {
            for word in 0..<AMXTile.rowWords {
                destination[row * AMXTile.rowWords + word] =
                    base.loadUnaligned(fromByteOffset: row * stride + word * 4, as: UInt32.self)
            }
        }
    }

    func store(_ tile: Int, to base: UnsafeMutableRawPointer, stride: Int) {
        let source = self.tile(tile)
        for row in 0..<AMXTile.rows {
            for word in 0..<AMXTile.rowWords {
                base.storeBytes(of: source[row * AMXTile.rowWords + word], toByteOffset: row * stride + word * 4,
                                as: UInt32.self)
            }
        }
    }

    func dotProduct(_ c: Int, _ a: Int, _ b: Int) {
        let cTile = tile(c), aTile = tile(a), bTile = tile(b)
        for m in 0..<AMXTile.rows {
            for n in 0..<AMXTile.rowWords {
                let index = m * AMXTile.rowWords + n
                let sum = EmulatedBF16Tiles.dotProduct(
                    accumulator: Float(bitPattern: cTile[index]), aRow: aTile + m * AMXTile.rowWords,
                    bColumn: bTile + n, bStride: AMXTile.rowWords, pairs: AMXTile.rows)
                cTile[index] = sum.bitPattern
            }
        }
    }

    func release() { configure() }

    /// One accumulator element after one TDPBF16PS: `accumulator` plus the dot product of
    /// `pairs` bf16 pairs of an A row (`aRow[k]`) with those of a B column (`bColumn[k * bStride]`),
    /// in the order and rounding given in the type's documentation.
    static func dotProduct(accumulator: Float, aRow: UnsafePointer<UInt32>, bColumn: UnsafePointer<UInt32>,
                           bStride: Int, pairs: Int) -> Float {
        var even: Float = 0, odd: Float = 0
        for k in 0..<pairs {
            let a = aRow[k], b = bColumn[k * bStride]
            even = flushed(even.addingProduct(operand(a & 0xFFFF), operand(b & 0xFFFF)))
            odd = flushed(odd.addingProduct(operand(a >> 16), operand(b >> 16)))
        }
        return flushed(flushed(accumulator) + flushed(even + odd))
    }

    /// make_fp32 with DAZ: the bf16 in the low 16 bits of `bits` as f32, subnormals as signed zero.
    @inline(__always)
    static func operand(_ bits: UInt32) -> Float {
        flushed(Float(bitPattern: (bits & 0xFFFF) << 16))
    }

    /// FTZ / DAZ: a subnormal becomes zero of the same sign; anything else is unchanged.
    @inline(__always)
    static func flushed(_ x: Float) -> Float {
        x.isSubnormal ? Float(signOf: x, magnitudeOf: 0) : x
    }
}
