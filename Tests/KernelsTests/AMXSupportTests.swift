@testable import Kernels
import Testing
import TestSupport

@Suite("AMX detection and the bf16 path choice")
struct AMXSupportTests {
    @Test("detection gives one consistent answer, with a reason whenever AMX is off")
    func consistentAnswer() {
        let status = AMXSupport.unavailable
        #expect(AMXSupport.isActive == (status == nil))
        if let status {
            #expect(!status.description.isEmpty)
            #expect(AMXSupport.status == "AMX not used: \(status)")
            if !AMXSupport.cpuReportsAMX {
                // Without CPUID support only the CPU (or CFSP_AMX, checked first) can be the reason.
                switch status {
                case .cpuLacksAMX, .disabledByEnvironment, .notX86: break
                default: Issue.record("CPU reports no AMX but the reason is \(status)")
                }
            }
        } else {
            #expect(AMXSupport.cpuReportsAMX)
            #expect(AMXSupport.status == "amx-bf16 tiles")
        }
        // Probing again decides the same (the permission request, if any, is idempotent).
        #expect(AMXSupport.probe(environment: nil) == AMXSupport.probe(environment: "1"))
    }

    @Test("CFSP_AMX=0 (or off / false / no) turns AMX off before anything is probed")
    func environmentSwitch() {
        for value in ["0", "off", "FALSE", "no"] {
            #expect(AMXSupport.environmentDisables(value))
            #expect(AMXSupport.probe(environment: value) == .disabledByEnvironment(value: value))
            #expect(AMXSupport.Unavailable.disabledByEnvironment(value: value).description == "disabled by CFSP_AMX=\(value)")
        }
        for value in [nil, "1", "on", ""] as [String?] { #expect(!AMXSupport.environmentDisables(value)) }
    }

    @Test("the reasons name the failing bit or call")
    func reasonText() {
        let cpu = AMXSupport.Unavailable.cpuLacksAMX(cpuid7EDX: 1 << 24).description
        #expect(cpu.contains("amx-tile bit 24 set") && cpu.contains("amx-bf16 bit 22 clear"))
        let os = AMXSupport.Unavailable.osDisabled(xcr0: 0xE7 | 1 << 17).description
        #expect(os.contains("XTILECFG bit 17 set") && os.contains("XTILEDATA bit 18 clear"))
        #expect(AMXSupport.Unavailable.kernelRefused(errno: 1).description.contains("errno 1"))
        #expect(AMXSupport.cpuHasTiles(AMXSupport.cpuidAMXTile | AMXSupport.cpuidAMXBF16))
        #expect(!AMXSupport.cpuHasTiles(AMXSupport.cpuidAMXTile))
    }

    @Test("VectorISA.summary names the bf16 matmul path that runs, and why AMX is not used when it is not")
    func summaryNamesPath() {
        let summary = VectorISA.summary
        #expect(summary.contains("bf16 matmul: \(BF16MatmulPath.active)"), "\(summary)")
        if let reason = AMXSupport.unavailable {
            #expect(BF16MatmulPath.active != .amxTiles)
            #expect(summary.contains("AMX not used: \(reason)"), "\(summary)")
        } else {
            #expect(BF16MatmulPath.active == .amxTiles)
            #expect(!summary.contains("AMX not used"), "\(summary)")
        }
    }

    // Runs only where AMX is off (every machine without AMX-BF16, e.g. the AMD EPYC build
    // machine, or CFSP_AMX=0): there bf16 matmuls must keep the vector micro-kernel.
    @Test("without AMX, bf16 matmul falls back to the vector path and says so",
          .enabled(if: !AMXSupport.isActive, "AMX is active on this host: the fallback is not taken"))
    func fallbackChosen() {
        #expect(BF16MatmulPath.active == (VectorISA.compiledBF16Dot ? .avx512BF16Dot : .widenedFMA))
        #expect(VectorISA.summary.contains("AMX not used: "))
        // matmul's result is the vector path's, bit for bit.
        var random = TestRandom(seed: 5)
        let (m, n, k) = (37, 70, 99)
        let a = random.floats(m * k)
        let weights = PackedWeights(rows: n, cols: k, values: random.floats(n * k), precision: .bf16)
        let pool = ThreadPool(threads: 2)
        var viaMatmul = [Float](repeating: 0, count: m * n), viaVector = viaMatmul
        a.withUnsafeBufferPointer { a in
            matmul(a.baseAddress!, rows: m, lda: k, weights: weights, into: &viaMatmul, ldc: n, pool: pool)
            matmulBF16Vector(a.baseAddress!, rows: m, lda: k, weights: weights, into: &viaVector, ldc: n, pool: pool)
        }
        #expect(viaMatmul.map(\.bitPattern) == viaVector.map(\.bitPattern))
    }

    // Runs only on a CPU with AMX-BF16 whose kernel grants tile data (Intel Sapphire Rapids and
    // later); on other hosts Swift Testing reports it skipped with this reason. Not yet run on
    // such hardware: the AMD EPYC build machine has no AMX.
    @Test("the real TDPBF16PS tile GEMM matches the scalar emulation",
          .enabled(if: AMXSupport.isActive, "needs AMX-BF16: \(AMXSupport.status)"))
    func hardwareMatchesEmulation() {
        let pool = ThreadPool(threads: 2)
        for (index, (m, n, k)) in [(1, 1, 1), (17, 33, 31), (33, 65, 577), (129, 40, 64), (64, 576, 96)].enumerated() {
            var random = TestRandom(seed: 0xA4 + UInt64(index))
            for integers in [true, false] {
                let values = { (count: Int) -> [Float] in
                    integers ? (0..<count).map { _ in Float(random.int(below: 7) - 3) } : random.floats(count)
                }
                let a = values(m * k)
                let weights = PackedWeights(rows: n, cols: k, values: values(n * k), precision: .bf16)
                var hardware = [Float](repeating: 0, count: m * n), emulated = hardware, automatic = hardware
                a.withUnsafeBufferPointer { a in
                    matmulBF16Tiles(a.baseAddress!, rows: m, lda: k, weights: weights, into: &hardware, ldc: n,
                                    pool: pool, backend: .hardware)
                    matmulBF16Tiles(a.baseAddress!, rows: m, lda: k, weights: weights, into: &emulated, ldc: n,
                                    pool: pool, backend: .emulated)
                    matmul(a.baseAddress!, rows: m, lda: k, weights: weights, into: &automatic, ldc: n, pool: pool)
                }
                if integers || m == 1 {
                    // Exact sums (or m == 1, where matmul takes the GEMV): no rounding to disagree on.
                    #expect(hardware == emulated, "m=\(m) n=\(n) k=\(k) integers=\(integers)")
                } else {
                    // The SDM defines the rounding; if the silicon rounds differently this shows by how much.
                    let worst = zip(hardware, emulated).map { abs($0 - $1) / max(1e-30, abs($1)) }.max() ?? 0
                    let identical = zip(hardware, emulated).filter { $0.bitPattern == $1.bitPattern }.count
                    #expect(worst <= Float(k) * 0x1p-23, "m=\(m) n=\(n) k=\(k): \(identical)/\(m * n) identical")
                    #expect(automatic.map(\.bitPattern) == hardware.map(\.bitPattern), "matmul must take the tile path")
                }
            }
        }
    }
}
