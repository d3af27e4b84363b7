import Foundation

/// Loads the text that calibration and evaluation tokenize: WikiText-style JSONL (one
/// `{"text": ...}` object a line, records joined with a separator as the pruning literature
/// does: `" "` for calibration, `"\n\n"` for evaluation) or plain UTF-8 text files.
public enum TextCorpus {
    /// The `field` strings of every record of the JSONL file at `path`, in file order. Blank
    /// lines are skipped; empty strings are records and are kept.
    public static func jsonlRecords(path: String, field: String = "text") throws -> [String] {
        let data = try contents(of: path)
        var records: [String] = []
        var lineNumber = 0
        var lineStart = data.startIndex
        while lineStart < data.endIndex {
            lineNumber += 1
            let lineEnd = data[lineStart...].firstIndex(of: UInt8(ascii: "\n")) ?? data.endIndex
            let line = data[lineStart..<lineEnd]
            lineStart = lineEnd < data.endIndex ? data.index(after: lineEnd) : data.endIndex
            if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { continue }
            let object: Any
            do {
                object = try JSONSerialization.jsonObject(with: Data(line), options: [])
            } catch {
                throw DataError.invalidJSONLine(path: path, line: lineNumber, reason: ErrorText.words(error))
            }
            guard let record = object as? [String: Any] else {
                throw DataError.invalidJSONLine(path: path, line: lineNumber, reason: "the line is JSON but not an object")
            }
            guard let text = record[field] as? String else {
                throw DataError.missingTextField(path: path, line: lineNumber, field: field)
            }
            records.append(text)
        }
        return records
    }

    /// The records of the JSONL file at `path` joined with `separator` (Python's
    /// `separator.join(records)`).
    public static func loadJSONL(path: String, field: String = "text", separator: String) throws -> String {
        try jsonlRecords(path: path, field: field).joined(separator: separator)
    }

    /// The whole UTF-8 text file at `path`.
    public static func loadPlainText(path: String) throws -> String {
        let data = try contents(of: path)
        guard let text = String(data: data, encoding: .utf8) else { throw DataError.invalidUTF8(path: path, line: nil) }
        return text
    }

    private static func contents(of path: String) throws -> Data {
        do {
            return try RegularFile.contents(of: path, limit: RegularFile.Limit.text)
        } catch .notFound {
            throw DataError.fileNotFound(path: path)
        } catch .notRegularFile {
            throw DataError.cannotRead(path: path, reason: "it is not a regular file (a folder, FIFO, device or socket)")
        } catch {
            throw DataError.cannotRead(path: path, reason: error.description)
        }
    }
}
