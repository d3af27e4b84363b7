// swift-tools-version: 6.1
import PackageDescription
import Foundation

// The kernels are built for the vector ISA of the machine that builds them: with Swift's default
// x86-64 target, SIMD FMA lowers to libm calls (under 1 GFLOP/s). `-target-cpu native` gives
// AVX-512 FMA; the `CFSP_AVX512` / `CFSP_AVX512BF16` conditions select the matching
// micro-kernels. `CFSP_PORTABLE=1` builds the portable fallback (plain Swift SIMD, default
// target), which also runs everywhere else (e.g. arm64).
let environment = ProcessInfo.processInfo.environment
let portable = environment["CFSP_PORTABLE"] == "1"
let cpuFlags: Set<Substring> = {
    #if arch(x86_64) && os(Linux)
    guard let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
          let line = info.split(separator: "\n").first(where: { $0.hasPrefix("flags") })
    else { return [] }
    return Set(line.split(separator: " "))
    #else
    return []
    #endif
}()
var vectorSettings: [SwiftSetting] = []
if !portable && cpuFlags.contains("avx512f") {
    vectorSettings.append(.unsafeFlags(["-target-cpu", "native"]))
    vectorSettings.append(.define("CFSP_AVX512"))
    if cpuFlags.contains("avx512_bf16") { vectorSettings.append(.define("CFSP_AVX512BF16")) }
} else if !portable && cpuFlags.contains("avx2") && cpuFlags.contains("fma") {
    vectorSettings.append(.unsafeFlags(["-target-cpu", "native"]))
    vectorSettings.append(.define("CFSP_AVX2"))
}

let strict: [SwiftSetting] = [.swiftLanguageMode(.v6)]

let package = Package(
    name: "cfsp",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "cfspd", targets: ["Daemon"]),
        .executable(name: "cfsp", targets: ["CLI"]),
        .executable(name: "protocol-schema", targets: ["ProtocolSchemaTool"]),
        .library(name: "Core", targets: ["Core"]),
        .library(name: "RPC", targets: ["RPC"]),
        .library(name: "CFSPProtocol", targets: ["CFSPProtocol"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    ],
    targets: [
        .systemLibrary(
            name: "CLibUV",
            pkgConfig: "libuv",
            providers: [.apt(["libuv1-dev"])]
        ),
        // The few x86 instructions Swift cannot name (AVX512-BF16 dot products), as inline C.
        .target(name: "CVectorISA"),
        // Linux file-system calls Swift's Glibc does not import (renameat2 RENAME_EXCHANGE, O_TMPFILE).
        .target(name: "CFileSystem"),
        .target(name: "Kernels", dependencies: ["CVectorISA"], swiftSettings: strict + vectorSettings),
        .target(name: "Core", dependencies: ["Kernels", "CFileSystem"], swiftSettings: strict + vectorSettings),
        .target(
            name: "RPC",
            dependencies: ["CLibUV", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strict
        ),
        // cfsp's wire contract: every method's name, params, result and progress types, the error
        // codes and the capabilities, embedding Core's option types. (`Protocol` would collide with
        // the Objective-C class Foundation exports on Darwin and with the `.Protocol` metatype.)
        .target(name: "CFSPProtocol", dependencies: ["Core", "RPC"], swiftSettings: strict),
        // protocol.schema.json and protocol.md's tables, derived from CFSPProtocol's types.
        .target(name: "ProtocolSchema", dependencies: ["CFSPProtocol"], swiftSettings: strict),
        .executableTarget(
            name: "ProtocolSchemaTool", dependencies: ["ProtocolSchema"], path: "scripts/protocol-schema",
            swiftSettings: strict),
        .executableTarget(
            name: "Daemon",
            dependencies: [
                "Core", "RPC", "CFSPProtocol",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "CLI",
            // The typed requests embed Core's option types, so the CLI links Core and Kernels too.
            dependencies: ["CFSPProtocol", "Core", "Kernels", "RPC",
                           .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "clients/cli",
            swiftSettings: strict
        ),
        .executableTarget(
            name: "GemmBench",
            dependencies: ["Kernels"],
            path: "bench/gemm/swift",
            swiftSettings: strict + vectorSettings
        ),
        // TDPBF16PS alone on register-resident tiles: the AMX peak the bf16 GEMM is measured against.
        .executableTarget(
            name: "AMXPeakBench",
            dependencies: ["Kernels"],
            path: "bench/amx-peak/swift",
            swiftSettings: strict + vectorSettings
        ),
        // Causal attention with f32 and with bf16 products on the models' attention shapes.
        .executableTarget(
            name: "AttentionBench",
            dependencies: ["Kernels"],
            path: "bench/attention/swift",
            swiftSettings: strict + vectorSettings
        ),
        .executableTarget(
            name: "ForwardBench",
            dependencies: ["Core", "Kernels"],
            path: "bench/forward/swift",
            swiftSettings: strict + vectorSettings
        ),
        .executableTarget(
            name: "PruneQualityBench",
            dependencies: ["Core", "Kernels"],
            path: "bench/prune-quality/swift",
            swiftSettings: strict + vectorSettings
        ),
        .executableTarget(
            name: "RPCBench",
            dependencies: ["RPC", "TestSupport"],
            path: "bench/rpc/swift",
            swiftSettings: strict
        ),
        .executableTarget(
            name: "RecoveryBench",
            dependencies: ["Core", "Kernels"],
            path: "bench/recovery/swift",
            swiftSettings: strict + vectorSettings
        ),
        .executableTarget(
            name: "ScaleBench",
            dependencies: ["Core", "Kernels"],
            path: "bench/scale/swift",
            swiftSettings: strict + vectorSettings
        ),
        // What every test target shares (seeded inputs, waiting, scratch folders, child processes, the
        // framing verifier); Foundation only, so no test target builds more than it tests.
        .target(name: "TestSupport", path: "Tests/TestSupport", swiftSettings: strict),
        .testTarget(name: "TestSupportTests", dependencies: ["TestSupport"], swiftSettings: strict),
        .testTarget(name: "KernelsTests", dependencies: ["Kernels", "TestSupport"], swiftSettings: strict + vectorSettings),
        .testTarget(name: "CoreTests", dependencies: ["Core", "TestSupport"], exclude: ["Scripts"], swiftSettings: strict),
        .testTarget(name: "RPCTests", dependencies: ["RPC", "TestSupport"], swiftSettings: strict),
        .testTarget(name: "ProtocolTests", dependencies: ["CFSPProtocol", "ProtocolSchema", "Core", "RPC", "TestSupport"],
                    swiftSettings: strict),
        .testTarget(
            name: "DaemonTests", dependencies: ["Daemon", "CFSPProtocol", "Core", "Kernels", "RPC", "TestSupport"],
            swiftSettings: strict),
    ]
)
