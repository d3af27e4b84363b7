import Core
import Foundation
import Testing
import TestSupport

/// The pid of a process that has exited (and been reaped): no writer with it is alive.
private func deadPID() throws -> Int32 {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/true")
    try process.run()
    process.waitUntilExit()
    return process.processIdentifier
}

/// Writes `text` to `path`, creating folders on the way.
private func put(_ text: String, at path: String) throws {
    try FileManager.default.createDirectory(
        atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
    try Data(text.utf8).write(to: URL(fileURLWithPath: path))
}

/// What writers leave when they are killed, and what an overwrite may replace.
@Suite("Export writers: overwrite scope, atomic swap, temporaries of dead writers")
struct ExportWriterSafetyTests {
    @Test("an HF overwrite refuses a folder with files an export does not write, naming them, and keeps them")
    func hfOverwriteKeepsForeignFiles() throws {
        let scratch = try ScratchFolder()
        let config = hfTinyLlamaConfig()
        let destination = scratch.file("thesis")
        try put("my thesis", at: destination + "/thesis.txt")
        try put("notes", at: destination + "/sub/notes.txt")
        try put("{}", at: destination + "/config.json")
        let error = caughtError {
            try HuggingFaceFolderWriter.write(config: config, tensors: hfTinyLlamaTensors(config), to: destination, overwrite: true)
        } as? HuggingFaceError
        #expect(error == .destinationNotAnExport(
            path: destination, unexpected: ["sub/", "thesis.txt"], reason: "it holds files a cfsp export does not write"))
        #expect(error?.description.contains("move the other files away or choose another folder") == true)
        #expect(try String(contentsOfFile: destination + "/thesis.txt", encoding: .utf8) == "my thesis")
        #expect(try String(contentsOfFile: destination + "/sub/notes.txt", encoding: .utf8) == "notes")
        #expect(try String(contentsOfFile: destination + "/config.json", encoding: .utf8) == "{}")
        #expect(scratch.contents() == ["thesis"], "nothing was staged")

        // A file or a symbolic link at the destination is not an export folder either.
        let file = scratch.file("file")
        try put("data", at: file)
        #expect(throws: HuggingFaceError.self) {
            try HuggingFaceFolderWriter.write(config: config, tensors: hfTinyLlamaTensors(config), to: file, overwrite: true)
        }
        try FileManager.default.createSymbolicLink(atPath: scratch.file("link"), withDestinationPath: destination)
        #expect(throws: HuggingFaceError.self) {
            try HuggingFaceFolderWriter.write(
                config: config, tensors: hfTinyLlamaTensors(config), to: scratch.file("link"), overwrite: true)
        }
        #expect(try String(contentsOfFile: file, encoding: .utf8) == "data")
    }

    @Test("an HF overwrite replaces a previous export, its extra export files included, and leaves no sibling")
    func hfOverwriteReplacesExport() throws {
        let scratch = try ScratchFolder()
        let config = hfTinyLlamaConfig()
        let destination = scratch.file("model")
        try HuggingFaceFolderWriter.write(config: config, tensors: hfTinyLlamaTensors(config, seed: 1), to: destination)
        for name in ["tokenizer_config.json", "generation_config.json", "model-00001-of-00002.safetensors",
                     "model.safetensors.index.json"] {
            try put("{}", at: destination + "/" + name)
        }
        let before = try FileManager.default.attributesOfItem(atPath: destination)[.systemFileNumber] as? UInt64
        let replacement = hfTinyLlamaTensors(config, seed: 2)
        try HuggingFaceFolderWriter.write(config: config, tensors: replacement, to: destination, overwrite: true)
        let after = try FileManager.default.attributesOfItem(atPath: destination)[.systemFileNumber] as? UInt64
        #if os(Linux)
        // The staged folder took the old one's place in one step (renameat2 RENAME_EXCHANGE; the
        // test folder's ext4/tmpfs supports it), rather than file by file within the old folder.
        #expect(before != after)
        #endif
        #expect(try FileManager.default.contentsOfDirectory(atPath: destination).sorted() == ["config.json", "model.safetensors"])
        #expect(try HuggingFaceFolder(path: destination).tensors.floats("model.norm.weight")
            == replacement.first { $0.name == "model.norm.weight" }?.values)
        #expect(scratch.contents() == ["model"], "no staging or displaced folder is left behind")
    }

    @Test("where folders cannot be exchanged, files are renamed over the old ones and stale export files removed")
    func hfReplaceFileByFile() throws {
        let scratch = try ScratchFolder()
        let destination = scratch.file("model")
        let staging = scratch.file(".model.cfsp-tmp-1-0000000000000000")
        try put("old config", at: destination + "/config.json")
        try put("old weights", at: destination + "/model-00001-of-00002.safetensors")
        try put("old index", at: destination + "/model.safetensors.index.json")
        try put("new config", at: staging + "/config.json")
        try put("new weights", at: staging + "/model.safetensors")
        try HuggingFaceFolderWriter.replaceFileByFile(destination, with: staging)
        #expect(try FileManager.default.contentsOfDirectory(atPath: destination).sorted() == ["config.json", "model.safetensors"])
        #expect(try String(contentsOfFile: destination + "/config.json", encoding: .utf8) == "new config")
        #expect(scratch.contents() == ["model"])
    }

    @Test("temporaries of dead writers are removed before writing; a live writer's and other files are kept")
    func staleTemporariesAreRemoved() throws {
        let scratch = try ScratchFolder()
        let dead = try deadPID()
        let live = getpid()
        let deadFile = ".model.gguf.cfsp-tmp-\(dead)-00000000deadbeef"
        let deadStaging = ".export.cfsp-tmp-\(dead)-0123456789abcdef"
        let liveFile = ".model.gguf.cfsp-tmp-\(live)-00000000cafecafe"
        let unrelated = [".notes.tmp-\(dead)", ".x.cfsp-tmp-\(dead)-short", "keep.txt"]
        try put(String(repeating: "x", count: 4096), at: scratch.file(deadFile))
        try put("{}", at: scratch.file(deadStaging + "/config.json"))
        for name in [liveFile] + unrelated { try put("", at: scratch.file(name)) }
        #expect(WriterTemporaries.writerPID(of: deadFile) == dead)
        #expect(WriterTemporaries.isStale(deadFile) && !WriterTemporaries.isStale(liveFile))

        try GGUFWriter.write(metadata: [], tensors: [GGUFWriterTensor(name: "w", shape: [1], type: .f32, values: [1])],
                             to: scratch.file("model.gguf"))
        #expect(scratch.contents() == ([liveFile, "keep.txt", "model.gguf"] + unrelated.dropLast()).sorted())

        // The Hugging Face writer clears its parent folder the same way.
        try put("", at: scratch.file(deadFile))
        let config = hfTinyLlamaConfig()
        try HuggingFaceFolderWriter.write(config: config, tensors: hfTinyLlamaTensors(config), to: scratch.file("hf"))
        #expect(!scratch.contents().contains(deadFile))
        #expect(scratch.contents().contains(liveFile))
    }

    @Test("while a file is being written, no named temporary is visible (O_TMPFILE), or only one with the writer's pid")
    func noNamedTemporaryWhileWriting() throws {
        let scratch = try ScratchFolder()
        final class Seen: @unchecked Sendable { var entries: [String] = [] }
        let seen = Seen()
        let tensor = GGUFWriterTensor(name: "w", shape: [4], type: .f32) {
            seen.entries = (try? FileManager.default.contentsOfDirectory(atPath: scratch.path)) ?? ["?"]
            return [1, 2, 3, 4]
        }
        try GGUFWriter.write(metadata: [], tensors: [tensor], to: scratch.file("model.gguf"))
        #expect(seen.entries.allSatisfy { WriterTemporaries.writerPID(of: $0) == getpid() }, "\(seen.entries)")
        #if os(Linux)
        #expect(seen.entries.isEmpty, "an unnamed (O_TMPFILE) file is used on Linux: \(seen.entries)")
        #endif
        #expect(scratch.contents() == ["model.gguf"])
    }
}
