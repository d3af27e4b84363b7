import Core
import Foundation
import Testing
import TestSupport

@Suite("Text data loading")
struct DataTextCorpusTests {
    private func write(_ text: String, to name: String, in folder: ScratchFolder) throws -> String {
        let path = folder.file(name)
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test("JSONL records are joined like Python's separator.join, empty records kept, blank lines skipped")
    func jsonlJoin() throws {
        let folder = try ScratchFolder()
        let path = try write(
            "{\"text\": \"\"}\n{\"text\": \" = Title = \\n\"}\n\n{\"text\": \"caf\\u00e9 \\\"q\\\"\", \"id\": 3}\r\n{\"text\": \"end\"}\n",
            to: "records.jsonl", in: folder)
        #expect(try TextCorpus.jsonlRecords(path: path) == ["", " = Title = \n", "café \"q\"", "end"])
        #expect(try TextCorpus.loadJSONL(path: path, separator: " ") == "  = Title = \n café \"q\" end")
        #expect(try TextCorpus.loadJSONL(path: path, separator: "\n\n") == "\n\n = Title = \n\n\ncafé \"q\"\n\nend")
        let other = try write("{\"content\": \"a\"}\n{\"content\": \"b\"}", to: "other.jsonl", in: folder)
        #expect(try TextCorpus.loadJSONL(path: other, field: "content", separator: "|") == "a|b")
    }

    @Test("bad JSONL lines are errors naming the line number")
    func jsonlErrors() throws {
        let folder = try ScratchFolder()
        let broken = try write("{\"text\": \"a\"}\n\n{\"text\": \"b\"\n", to: "broken.jsonl", in: folder)
        do {
            _ = try TextCorpus.jsonlRecords(path: broken)
            Issue.record("a truncated JSON line must throw")
        } catch let DataError.invalidJSONLine(path, line, _) {
            #expect(path == broken)
            #expect(line == 3)
        }
        let array = try write("{\"text\": \"a\"}\n[1, 2]\n", to: "array.jsonl", in: folder)
        do {
            _ = try TextCorpus.jsonlRecords(path: array)
            Issue.record("a non-object line must throw")
        } catch let DataError.invalidJSONLine(_, line, _) {
            #expect(line == 2)
        }
        let noText = try write("{\"text\": \"a\"}\n{\"text\": 5}\n", to: "notext.jsonl", in: folder)
        #expect(throws: DataError.missingTextField(path: noText, line: 2, field: "text")) {
            try TextCorpus.jsonlRecords(path: noText)
        }
        let missing = folder.file("absent.jsonl")
        #expect(throws: DataError.fileNotFound(path: missing)) { try TextCorpus.loadJSONL(path: missing, separator: " ") }
        #expect(DataError.invalidJSONLine(path: "v.jsonl", line: 7, reason: "x").description.contains("line 7"))
    }

    @Test("plain text files load whole; missing files, folders and invalid UTF-8 are errors")
    func plainText() throws {
        let folder = try ScratchFolder()
        let path = try write("line one\nline two — ü\n", to: "plain.txt", in: folder)
        #expect(try TextCorpus.loadPlainText(path: path) == "line one\nline two — ü\n")
        let bad = folder.file("bad.txt")
        try Data([0x61, 0xFF, 0xFE, 0x62]).write(to: URL(fileURLWithPath: bad))
        #expect(throws: DataError.invalidUTF8(path: bad, line: nil)) { try TextCorpus.loadPlainText(path: bad) }
        #expect(throws: DataError.fileNotFound(path: folder.file("none.txt"))) { try TextCorpus.loadPlainText(path: folder.file("none.txt")) }
        #expect(throws: DataError.self) { try TextCorpus.loadPlainText(path: folder.path) }
    }

    static let wikiTextFolder: String? = WikiText2.folder?.path

    @Test("WikiText-2 validation and test splits load with the documented record counts",
          .needsWikiText)
    func wikiText() throws {
        let folder = try #require(Self.wikiTextFolder)
        let validation = try TextCorpus.jsonlRecords(path: folder + "/validation.jsonl")
        let test = try TextCorpus.jsonlRecords(path: folder + "/test.jsonl")
        #expect(validation.count == 3760)
        #expect(test.count == 4358)
        #expect(test[1] == " = Robert Boulter = \n")
        let calibration = try TextCorpus.loadJSONL(path: folder + "/validation.jsonl", separator: " ")
        #expect(calibration.utf8.count == validation.reduce(0) { $0 + $1.utf8.count } + validation.count - 1)
        // len(" ".join(records).encode()) in Python.
        #expect(calibration.utf8.count == 1_148_007)
    }
}
