import Core
import Foundation

/// `make-seeds CORPUS`: writes the seed corpus of every fuzz harness into `CORPUS/<harness>/`,
/// replacing what was there. Each seed is a small valid input (the model files come from cfsp's
/// own exporters, tiny shapes), so the fuzzer starts deep inside each reader.
@main
struct MakeSeeds {
    static func main() {
        do {
            try run()
        } catch {
            FileHandle.standardError.write(Data("make-seeds: \(error)\n".utf8))
            exit(1)
        }
    }

    static func run() throws {
        let arguments = CommandLine.arguments.dropFirst()
        guard arguments.count == 1, let root = arguments.first else {
            FileHandle.standardError.write(Data("usage: make-seeds CORPUS-FOLDER\n".utf8))
            exit(2)
        }
        let corpus = SeedCorpus(root: URL(fileURLWithPath: root))
        try RPCSeeds.write(into: corpus)
        try ModelSeeds.write(into: corpus)
        try TokenizerSeeds.write(into: corpus)
        for (harness, count, bytes) in try corpus.summary() {
            print("\(harness): \(count) seeds, \(bytes) bytes")
        }
    }
}

/// The corpus folder: one subfolder per harness, each cleared and refilled by its writer.
struct SeedCorpus {
    let root: URL

    /// Writes one seed file into the folder of `harness`.
    func write(_ harness: String, _ name: String, _ bytes: some Sequence<UInt8>) throws {
        let folder = root.appendingPathComponent(harness)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try Data(bytes).write(to: folder.appendingPathComponent(name))
    }

    /// Removes the seeds of `harness` (before it is regenerated).
    func clear(_ harness: String) throws {
        let folder = root.appendingPathComponent(harness)
        if FileManager.default.fileExists(atPath: folder.path) { try FileManager.default.removeItem(at: folder) }
    }

    /// Harness, number of seeds and their total size, for each folder.
    func summary() throws -> [(String, Int, Int)] {
        let files = FileManager.default
        return try files.contentsOfDirectory(atPath: root.path).sorted().map { harness in
            let folder = root.appendingPathComponent(harness)
            let names = try files.contentsOfDirectory(atPath: folder.path)
            let bytes = try names.reduce(0) { total, name in
                total + ((try files.attributesOfItem(atPath: folder.appendingPathComponent(name).path)[.size] as? Int) ?? 0)
            }
            return (harness, names.count, bytes)
        }
    }
}
