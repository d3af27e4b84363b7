// swift-tools-version: 6.1
import PackageDescription

// Writes the fuzz seed corpus (`fuzz/corpus/`) with cfsp's own writers, so the seeds are real
// files of each format: `fuzz/make-seeds` builds and runs it. A separate package because the
// harness package is built with the fuzzer sanitizer, whose libFuzzer supplies `main`.
let package = Package(
    name: "cfsp-fuzz-seeds",
    platforms: [.macOS(.v15)],
    products: [.executable(name: "make-seeds", targets: ["MakeSeeds"])],
    dependencies: [.package(name: "cfsp", path: "../..")],
    targets: [
        .executableTarget(
            name: "MakeSeeds", dependencies: [.product(name: "Core", package: "cfsp")],
            swiftSettings: [.swiftLanguageMode(.v6)]),
    ]
)
