import Foundation
import ProtocolSchema

// protocol-schema: writes protocol.schema.json and the generated tables of protocol.md from the
// CFSPProtocol types (run it from the repository root after changing a method type), or with
// --check says whether they are up to date (ProtocolTests runs the same check).
//
//     swift run protocol-schema [--check] [ROOT]

var arguments = Array(CommandLine.arguments.dropFirst())
let check = arguments.contains("--check")
arguments.removeAll { $0 == "--check" }
if arguments.contains(where: { $0.hasPrefix("-") }) || arguments.count > 1 {
    FileHandle.standardError.write(Data("usage: protocol-schema [--check] [ROOT]\n".utf8))
    exit(64)
}
let root = arguments.first ?? FileManager.default.currentDirectoryPath
do {
    if check {
        let problems = try ProtocolDocuments.differences(root: root)
        for problem in problems { print(problem) }
        if !problems.isEmpty {
            FileHandle.standardError.write(Data("protocol-schema: out of date; run `swift run protocol-schema`\n".utf8))
            exit(1)
        }
        print("protocol.schema.json and protocol.md match the types")
    } else {
        let missing = try ProtocolDocuments.write(root: root)
        for name in missing {
            FileHandle.standardError.write(Data("protocol-schema: protocol.md has no markers for '\(name)'\n".utf8))
        }
        print("wrote \(root)/protocol.schema.json and the tables of \(root)/protocol.md")
        if !missing.isEmpty { exit(1) }
    }
} catch {
    FileHandle.standardError.write(Data("protocol-schema: \(error)\n".utf8))
    exit(1)
}
