import Core
import Foundation
import TestSupport
import Testing

/// An HF overwrite swaps the old export for the new one with one `renameat2(RENAME_EXCHANGE)`:
/// a writer killed at any instant leaves the old or the new export at the target, complete.
@Suite("Export under SIGKILL")
struct ExportKillTests {
    @Test("killing 'cfspd make-test-model --overwrite' at random instants always leaves a complete old or new export")
    func killedOverwrites() throws {
        guard let executable = cfspdExecutable() else {
            Issue.record("the cfspd executable is not built beside the tests (swift build first)")
            return
        }
        let folder = try ScratchFolder()
        defer { folder.remove() }
        let seeds: [UInt64] = [1, 2]
        var weights: [UInt64: Data] = [:]
        for seed in seeds {
            let reference = folder.file("reference-\(seed)")
            try TestModelFile.write(to: reference, format: .huggingFace, seed: seed)
            weights[seed] = try Data(contentsOf: URL(fileURLWithPath: reference + "/model.safetensors"))
        }
        let parent = folder.file("exports")
        try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true)
        let target = parent + "/model"
        try TestModelFile.write(to: target, format: .huggingFace, seed: 1)
        func writer(seed: UInt64) throws -> Process {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = ["make-test-model", "--format", "hf", "--output", target, "--seed", "\(seed)", "--overwrite"]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            return process
        }
        // Kill instants are spread over one whole uninterrupted run, start-up included.
        let started = ContinuousClock.now
        let whole = try writer(seed: 2)
        whole.waitUntilExit()
        let microseconds = max(1_000, Int((ContinuousClock.now - started) / .microseconds(1)))
        var random = TestRandom(seed: 11)
        var killed = 0, leftBehind = 0
        for round in 0..<40 {
            let process = try writer(seed: seeds[round % 2])
            usleep(UInt32(random.int(below: microseconds)))
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            if process.terminationReason == .uncaughtSignal { killed += 1 }
            if try FileManager.default.contentsOfDirectory(atPath: parent) != ["model"] { leftBehind += 1 }
            // Whatever instant the kill hit, the target is a complete export of one seed.
            let loaded = try HuggingFaceFolder(path: target)
            #expect(loaded.config.numLayers == TestModelFile.config.numLayers)
            let bytes = try Data(contentsOf: URL(fileURLWithPath: target + "/model.safetensors"))
            #expect(seeds.contains { weights[$0] == bytes }, "round \(round): the weights are neither export's")
        }
        #expect(killed > 0, "no kill landed while the writer ran; the test proved nothing")
        #expect(leftBehind > 0, "no kill landed mid-write (\(killed) of 40 before exit, runs of \(microseconds) µs)")
        // The next writer removes what the killed ones left beside the target.
        try TestModelFile.write(to: target, format: .huggingFace, seed: 2, overwrite: true)
        #expect(try FileManager.default.contentsOfDirectory(atPath: parent) == ["model"])
        #expect(try Data(contentsOf: URL(fileURLWithPath: target + "/model.safetensors")) == weights[2])
    }
}
