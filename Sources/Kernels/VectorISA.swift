import CVectorISA

/// Which vector code path the kernels were compiled for, and whether this CPU can run it.
/// Benchmarks print it and a test checks it, so a slow fallback never passes unnoticed.
public enum VectorISA: String, Sendable, CustomStringConvertible {
    /// AVX-512 FMA micro-kernels (16 floats a register), `-target-cpu native`.
    case avx512
    /// AVX2 FMA (8 floats a register), `-target-cpu native`.
    case avx2
    /// Plain Swift SIMD for the default target: correct everywhere, slow on x86-64.
    case portable

    /// The path compiled into this binary.
    public static var compiled: VectorISA {
        #if CFSP_AVX512
        return .avx512
        #elseif CFSP_AVX2
        return .avx2
        #else
        return .portable
        #endif
    }

    /// Whether bf16 weights use AVX512-BF16 dot products (vdpbf16ps) in this binary.
    public static var compiledBF16Dot: Bool {
        #if CFSP_AVX512BF16
        return true
        #else
        return false
        #endif
    }

    /// The best path this CPU supports, whatever was compiled.
    public static var host: VectorISA {
        if cfsp_cpu_has_avx512f() != 0 { return .avx512 }
        if cfsp_cpu_has_avx2_fma() != 0 { return .avx2 }
        return .portable
    }

    /// Whether this CPU has AVX512-BF16.
    public static var hostHasBF16Dot: Bool { cfsp_cpu_has_avx512bf16() != 0 }

    /// Stops with a clear message when the binary was built for a CPU this one is not,
    /// instead of dying later on an illegal instruction.
    public static func requireRunnable() {
        let ok: Bool
        switch compiled {
        case .avx512: ok = host == .avx512 && (!compiledBF16Dot || hostHasBF16Dot)
        case .avx2: ok = host != .portable
        case .portable: ok = true
        }
        if !ok {
            fatalError("cfsp was built for \(compiled)\(compiledBF16Dot ? "+bf16" : "") but this CPU supports \(host); rebuild on this machine, or with CFSP_PORTABLE=1")
        }
    }

    public var description: String { rawValue }

    /// One line for logs and benchmark headers: the compiled path, the host's, and the bf16
    /// matmul path with the reason AMX is not used when it is not.
    public static var summary: String {
        let bf16 = BF16MatmulPath.active
        let why = AMXSupport.unavailable.map { "; AMX not used: \($0)" } ?? ""
        return "kernels: \(compiled)\(compiledBF16Dot ? " + avx512-bf16 dot" : "") (host supports \(host)\(hostHasBF16Dot ? " + bf16" : "")); bf16 matmul: \(bf16)\(why)"
    }
}

/// The code that bf16-weight matmuls with more than one row run on, in this process.
public enum BF16MatmulPath: String, Sendable, CustomStringConvertible {
    /// AMX TDPBF16PS on 16 x 16 tiles (`matmulBF16Tiles`).
    case amxTiles = "amx-bf16 tiles"
    /// AVX512-BF16 vdpbf16ps in the 8 x 32 vector micro-kernel.
    case avx512BF16Dot = "avx512-bf16 dot"
    /// The vector micro-kernel on bf16 widened to f32 (FMA), where vdpbf16ps is not compiled in.
    case widenedFMA = "f32 fma on widened bf16"

    /// The path of this process: AMX when `AMXSupport.isActive`, else what was compiled.
    public static var active: BF16MatmulPath {
        if AMXSupport.isActive { return .amxTiles }
        return VectorISA.compiledBF16Dot ? .avx512BF16Dot : .widenedFMA
    }

    public var description: String { rawValue }
}
