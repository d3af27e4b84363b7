#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CVectorISA

/// Whether this process may run Intel AMX-BF16 tile instructions, decided once: the CPU must
/// report AMX-TILE and AMX-BF16 (CPUID leaf 7), the OS must have enabled tile state in XCR0,
/// Linux must grant the process tile data (`arch_prctl(ARCH_REQ_XCOMP_PERM)`), and the
/// environment must not turn it off (`CFSP_AMX=0`). When any of these fails the bf16 matmul
/// keeps its vector path and `reason` says why, for `VectorISA.summary`.
public enum AMXSupport {
    /// Why AMX is not used.
    public enum Unavailable: Sendable, Equatable, CustomStringConvertible {
        /// Not an x86-64 build.
        case notX86
        /// CPUID.(EAX=7,ECX=0):EDX lacks AMX-TILE (bit 24) or AMX-BF16 (bit 22).
        case cpuLacksAMX(cpuid7EDX: UInt32)
        /// XCR0 lacks XTILECFG (bit 17) or XTILEDATA (bit 18): the OS did not enable tile state.
        case osDisabled(xcr0: UInt64)
        /// The kernel refused `arch_prctl(ARCH_REQ_XCOMP_PERM, XFEATURE_XTILEDATA)` (errno).
        case kernelRefused(errno: Int32)
        /// `CFSP_AMX` is set to a value that turns AMX off (`0`, `off`, `false`, `no`).
        case disabledByEnvironment(value: String)

        public var description: String {
            switch self {
            case .notX86:
                return "not an x86-64 build"
            case let .cpuLacksAMX(edx):
                return "this CPU has no AMX-BF16 (CPUID.7.0:EDX = 0x\(String(edx, radix: 16)): amx-tile bit 24 \(AMXSupport.bit(edx, 24)), amx-bf16 bit 22 \(AMXSupport.bit(edx, 22)))"
            case let .osDisabled(xcr0):
                return "the OS has not enabled AMX tile state (XCR0 = 0x\(String(xcr0, radix: 16)): XTILECFG bit 17 \(AMXSupport.bit(xcr0, 17)), XTILEDATA bit 18 \(AMXSupport.bit(xcr0, 18)))"
            case let .kernelRefused(code):
                return "the kernel refused tile data to this process (arch_prctl ARCH_REQ_XCOMP_PERM: \(String(cString: strerror(code))), errno \(code))"
            case let .disabledByEnvironment(value):
                return "disabled by CFSP_AMX=\(value)"
            }
        }
    }

    /// `nil` when AMX-BF16 tiles are usable in this process, else why not. Computed on first use
    /// (Swift runs a global's initializer exactly once, thread-safely); the permission request
    /// is made at most once and only when the CPU and OS support AMX and CFSP_AMX allows it.
    public static let unavailable: Unavailable? = probe(environment: getenv("CFSP_AMX").map { String(cString: $0) })

    /// Whether bf16 matmuls run on AMX tiles in this process.
    public static var isActive: Bool { unavailable == nil }

    /// Whether the CPU reports AMX-TILE and AMX-BF16 (CPUID only; the OS, the kernel and
    /// CFSP_AMX may still keep AMX off, see `unavailable`).
    public static var cpuReportsAMX: Bool {
        #if arch(x86_64)
        return cpuHasTiles(cfsp_cpuid7_edx())
        #else
        return false
        #endif
    }

    /// One phrase for logs: "amx-bf16 tiles" or "AMX not used: <reason>".
    public static var status: String {
        unavailable.map { "AMX not used: \($0)" } ?? "amx-bf16 tiles"
    }

    static let cpuidAMXBF16: UInt32 = 1 << 22
    static let cpuidAMXTile: UInt32 = 1 << 24
    static let xcr0TileState: UInt64 = (1 << 17) | (1 << 18)

    static func cpuHasTiles(_ edx: UInt32) -> Bool {
        edx & (cpuidAMXTile | cpuidAMXBF16) == cpuidAMXTile | cpuidAMXBF16
    }

    /// Whether `value` of CFSP_AMX turns AMX off (unset or anything else leaves it on).
    static func environmentDisables(_ value: String?) -> Bool {
        guard let value else { return false }
        return ["0", "off", "false", "no"].contains(value.lowercased())
    }

    /// The decision, in the order that avoids side effects: the environment first, then CPUID
    /// and XCR0 (pure reads), and only then the process-wide permission request.
    static func probe(environment: String?) -> Unavailable? {
        if environmentDisables(environment) { return .disabledByEnvironment(value: environment ?? "") }
        #if arch(x86_64)
        let edx = cfsp_cpuid7_edx()
        guard cpuHasTiles(edx) else { return .cpuLacksAMX(cpuid7EDX: edx) }
        let xcr0 = cfsp_xcr0()
        guard xcr0 & xcr0TileState == xcr0TileState else { return .osDisabled(xcr0: xcr0) }
        let refused = cfsp_amx_request_permission()
        guard refused == 0 else { return .kernelRefused(errno: refused) }
        return nil
        #else
        return .notX86
        #endif
    }

    static func bit<T: BinaryInteger>(_ value: T, _ index: Int) -> String {
        (value >> index) & 1 == 1 ? "set" : "clear"
    }
}
