// Operand packing for the GEMM micro-kernels: per-call panels of a plain B, bf16 pairs of A.

/// Packs `rows` (<= 32) rows of `count` values each into the k-major 32-wide panel layout,
/// zero-filling the missing rows.
func packPanelF32(_ source: UnsafePointer<Float>, ldb: Int, rows: Int, count: Int, into panel: UnsafeMutablePointer<Float>) {
    let width = GemmTile.columns
    if rows < width {
        panel.update(repeating: 0, count: count * width)
    }
    // k outer: writes are contiguous and the 32 source rows' current cache lines stay in L1.
    for k in 0..<count {
        let out = panel + k * width
        for lane in 0..<rows { out[lane] = source[lane * ldb + k] }
    }
}

/// Converts `rows` rows of `count` f32 values (row stride `lda`) into bf16 pairs, row stride
/// `ldPairs` u32; an odd count is padded with a zero bf16.
func packRowsAsBF16Pairs(_ source: UnsafePointer<Float>, lda: Int, rows: Int, count: Int,
                         into destination: UnsafeMutablePointer<UInt32>, ldPairs: Int) {
    for row in 0..<rows {
        let input = source + row * lda
        let output = destination + row * ldPairs
        var k = 0
        while k + 32 <= count {
            UnsafeMutableRawPointer(output + k / 2).storeBytes(of: bf16PairLanes(input + k), as: U32x16.self)
            k += 32
        }
        while k + 1 < count {
            output[k / 2] = UInt32(bf16Bits(input[k])) | UInt32(bf16Bits(input[k + 1])) << 16
            k += 2
        }
        if k < count { output[k / 2] = UInt32(bf16Bits(input[k])) }
    }
}

/// Zeroes `rows` rows of `columns` floats.
func clearRows(_ c: UnsafeMutablePointer<Float>, rows: Int, columns: Int, ldc: Int) {
    for row in 0..<rows { (c + row * ldc).update(repeating: 0, count: columns) }
}
