// swift-tools-version: 6.1
import PackageDescription

// libFuzzer harnesses for cfsp's readers of untrusted bytes (see README.md). Each product is
// one harness: a file defining `LLVMFuzzerTestOneInput`, linked against the real RPC and Core
// modules of the root package. Build with the fuzzer and address sanitizers (`fuzz/run` does):
//   swift build --package-path fuzz -c release --sanitize fuzzer --sanitize address
// A plain build links no `main` and fails: the sanitizer's libFuzzer supplies it.

let strict: [SwiftSetting] = [.swiftLanguageMode(.v6)]
/// The harness files have no top-level code and no `@main`: libFuzzer's `main` calls them.
let harness: [SwiftSetting] = strict + [.unsafeFlags(["-parse-as-library"])]

let rpc = Target.Dependency.product(name: "RPC", package: "cfsp")
let core = Target.Dependency.product(name: "Core", package: "cfsp")

/// Harness name (what `fuzz/run` and `corpus/<name>/` use) -> target and the modules it reads.
let harnesses: [(name: String, target: String, dependencies: [Target.Dependency])] = [
    ("content-length", "FuzzContentLength", ["FuzzRPCSupport", rpc]),
    ("ndjson", "FuzzNDJSON", ["FuzzRPCSupport", rpc]),
    ("json", "FuzzJSON", [rpc]),
    ("gguf", "FuzzGGUF", ["FuzzCoreSupport", core]),
    ("safetensors", "FuzzSafetensors", [core]),
    ("hf-config", "FuzzHFConfig", [core]),
    ("tokenizer-json", "FuzzTokenizerJSON", ["FuzzCoreSupport", core]),
]

let package = Package(
    name: "cfsp-fuzz",
    platforms: [.macOS(.v15)],
    products: harnesses.map { .executable(name: "fuzz-\($0.name)", targets: [$0.target]) },
    dependencies: [.package(name: "cfsp", path: "..")],
    targets: [
        // The fuzz checks and input helpers every harness shares.
        .target(name: "FuzzSupport", swiftSettings: strict),
        // Decoding one stream at once and in chunks, for both framings.
        .target(name: "FuzzRPCSupport", dependencies: ["FuzzSupport", rpc], swiftSettings: strict),
        // Using a tokenizer built from untrusted data, for the GGUF and tokenizer.json harnesses.
        .target(name: "FuzzCoreSupport", dependencies: ["FuzzSupport", core], swiftSettings: strict),
    ]
        + harnesses.map {
            .executableTarget(name: $0.target, dependencies: ["FuzzSupport"] + $0.dependencies, swiftSettings: harness)
        }
)
