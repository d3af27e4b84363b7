#if arch(x86_64)
import CVectorISA
#endif

/// The tile registers of the AMX bf16 GEMM and their fixed roles. Every tile is configured as
/// 16 rows x 64 bytes: an accumulator holds 16 x 16 f32, an A tile 16 rows x 16 bf16 pairs
/// (32 k values), a B tile 16 k-pairs x 16 columns, each u32 = bf16(k even) | bf16(k odd) << 16
/// (the pair-interleaved layout TDPBF16PS reads). A 2 x 2 block uses all eight registers:
/// accumulators C(i, j) = tmm(2i + j), A(i) = tmm(4 + i), B(j) = tmm(6 + j); cfsp_amx.h encodes
/// the same numbers.
enum AMXTile {
    /// Rows per tile (and k pairs per B tile).
    static let rows = 16
    /// Bytes per tile row.
    static let rowBytes = 64
    /// u32 (f32 or bf16 pair) elements per tile row.
    static let rowWords = 16
    /// k values one A x B step consumes (16 pairs).
    static let kStep = 32
    /// Rows of C one 2 x 2 block covers (two A tiles).
    static let blockRows = 32
    /// Tile registers a unit has.
    static let registers = 8

    /// The accumulator of block position (i, j), i, j in 0...1.
    @inline(__always) static func accumulator(_ i: Int, _ j: Int) -> Int { 2 * i + j }
    /// The A tile for block row i.
    @inline(__always) static func a(_ i: Int) -> Int { 4 + i }
    /// The B tile for block column j.
    @inline(__always) static func b(_ j: Int) -> Int { 6 + j }
}

/// The tile operations the AMX GEMM issues, one method per instruction, so the blocking,
/// packing and edge handling (GemmAMX.swift) run unchanged on the real tile unit or on the
/// scalar emulation of its exact semantics. A unit belongs to one thread for one work item:
/// `configure` first, `release` last. Tile numbers follow `AMXTile`'s roles.
protocol BF16TileUnit {
    init()
    /// ldtilecfg: all eight tiles 16 rows x 64 bytes; zeroes every tile.
    func configure()
    /// tilezero tmm[tile].
    func zero(_ tile: Int)
    /// tileloadd: 16 rows of 64 bytes from `base`, `stride` bytes apart.
    func load(_ tile: Int, from base: UnsafeRawPointer, stride: Int)
    /// tilestored: 16 rows of 64 bytes to `base`, `stride` bytes apart.
    func store(_ tile: Int, to base: UnsafeMutableRawPointer, stride: Int)
    /// tdpbf16ps tmm[c] += tmm[a] x tmm[b] (bf16 pairs, f32 accumulation).
    func dotProduct(_ c: Int, _ a: Int, _ b: Int)
    /// tilerelease.
    func release()
}

#if arch(x86_64)
/// The real tile unit: each method is one AMX instruction (cfsp_amx.h). Only valid once
/// `AMXSupport.isActive` holds (CPU, OS and kernel permission checked).
struct AMXHardwareTiles: BF16TileUnit {
    @inline(__always) func configure() { cfsp_amx_configure() }
    @inline(__always) func zero(_ tile: Int) { cfsp_amx_zero(Int32(tile)) }
    @inline(__always) func load(_ tile: Int, from base: UnsafeRawPointer, stride: Int) {
        cfsp_amx_load(Int32(tile), base, stride)
    }
    @inline(__always) func store(_ tile: Int, to base: UnsafeMutableRawPointer, stride: Int) {
        cfsp_amx_store(Int32(tile), base, stride)
    }
    @inline(__always) func dotProduct(_ c: Int, _ a: Int, _ b: Int) {
        cfsp_amx_dpbf16ps(Int32(c), Int32(a), Int32(b))
    }
    @inline(__always) func release() { cfsp_amx_release() }
}
#endif
