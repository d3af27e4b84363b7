import Core
import Foundation
import Testing
import TestSupport

/// What transformers computes on a cfsp Hugging Face export (Scripts/hf_export_check.py): the
/// independent check that an exported folder loads and runs as cfsp runs it.
struct TransformersExportReport {
    /// One folder's results.
    struct Result {
        var tokenizerClass: String?
        /// Ids of each text without special tokens, then with them.
        var ids: [[Int32]]
        var idsWithSpecial: [[Int32]]
        /// Each text in Unicode NFC (by Python's `unicodedata`).
        var nfcTexts: [String]
        var modelClass: String?
        /// The FFN width transformers built for each layer.
        var widths: [Int]
        /// The generation config's bos/eos/pad ids (nil when absent).
        var generation: [String: Int]
        /// The logits of every position, position-major.
        var logits: [Float]
        /// The same model's logits run in float64 (empty when not run): the reference without
        /// transformers' own f32 rounding.
        var exactLogits: [Double]
    }

    var transformersVersion: String
    var results: [Result]

    /// One export to check: texts to tokenize, tokens to run (either may be absent).
    struct Job {
        var folder: String
        var texts: [String]?
        var tokens: [Int32]?
    }

    /// Runs every job in one Python process (torch is imported once).
    static func run(_ jobs: [Job]) throws -> TransformersExportReport {
        let scratch = try ScratchFolder()
        let request: [String: Any] = ["jobs": jobs.map { job -> [String: Any] in
            var entry: [String: Any] = ["folder": job.folder]
            // As UTF-8 bytes: JSONSerialization may recompose a decomposed "U\u{303}" into "Ũ"
            // (Swift strings compare canonically), and the tokenizers must see the exact text.
            if let texts = job.texts { entry["texts_utf8"] = texts.map { Array($0.utf8).map(Int.init) } }
            if let tokens = job.tokens { entry["tokens"] = tokens.map(Int.init) }
            return entry
        }]
        let requestPath = scratch.file("request.json"), outPath = scratch.file("out.json")
        try JSONSerialization.data(withJSONObject: request).write(to: URL(fileURLWithPath: requestPath))
        let script = tokenizerTestsRepositoryRoot().appendingPathComponent("Tests/CoreTests/Scripts/hf_export_check.py")
        try TestProcess.python(script.path, [requestPath, outPath],
                               what: "hf_export_check.py (needs pip install -r scripts/requirements-test.txt)")
        let root = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: outPath))) as? [String: Any])
        let results = try #require(root["results"] as? [[String: Any]])
        func ids(_ value: Any?) -> [[Int32]] {
            ((value as? [[Int]]) ?? []).map { $0.map { Int32($0) } }
        }
        return TransformersExportReport(
            transformersVersion: root["transformers_version"] as? String ?? "?",
            results: try results.enumerated().map { index, result in
                let logits = try littleEndianFloats("\(outPath).\(index).f32", as: Float.self)
                let exactLogits = try littleEndianFloats("\(outPath).\(index).f64", as: Double.self)
                let generation = (result["generation"] as? [String: Any] ?? [:]).compactMapValues { $0 as? Int }
                return Result(
                    tokenizerClass: result["tokenizer_class"] as? String, ids: ids(result["ids"]),
                    idsWithSpecial: ids(result["ids_with_special"]),
                    nfcTexts: ((result["nfc_utf8"] as? [[Int]]) ?? []).map { String(decoding: $0.map(UInt8.init), as: UTF8.self) },
                    modelClass: result["model_class"] as? String,
                    widths: result["widths"] as? [Int] ?? [], generation: generation, logits: logits,
                    exactLogits: exactLogits)
            })
    }
}

/// The little-endian floats of the file at `path` (empty when the script wrote none).
private func littleEndianFloats<F: BinaryFloatingPoint & BitPatternFloat>(_ path: String, as _: F.Type) throws -> [F] {
    guard FileManager.default.fileExists(atPath: path) else { return [] }
    let data = try Data(contentsOf: URL(fileURLWithPath: path))
    let size = MemoryLayout<F.Bits>.size
    return data.withUnsafeBytes { raw in
        (0..<(data.count / size)).map { F(bitPattern: F.Bits(littleEndian: raw.loadUnaligned(fromByteOffset: size * $0, as: F.Bits.self))) }
    }
}

/// Float and Double, read from their bit patterns.
protocol BitPatternFloat {
    associatedtype Bits: FixedWidthInteger
    init(bitPattern: Bits)
}

extension Float: BitPatternFloat {}
extension Double: BitPatternFloat {}

/// The largest |a - b| against a float64 reference (infinity when the counts differ).
func maxAbsoluteDifference(_ a: [Float], _ b: [Double]) -> Double {
    guard a.count == b.count else { return .infinity }
    return zip(a, b).map { abs(Double($0) - $1) }.max() ?? 0
}

/// The largest |a - b| (infinity when the counts differ).
func maxAbsoluteDifference(_ a: [Float], _ b: [Float]) -> Float {
    guard a.count == b.count, !a.isEmpty else { return .infinity }
    return zip(a, b).map { abs($0 - $1) }.max() ?? 0
}
