import Core
import Foundation
import Kernels
import Testing
import TestSupport

/// Tiny random-weight models of every family cfsp aims to load, written by transformers and
/// gguf-py (`Scripts/family_fixtures.py`), with transformers' float32 logits as the reference.
/// The script runs once per test process, into a temporary folder removed at exit.
enum FamilyFixtures {
    static let families = ["llama", "mistral", "qwen2", "qwen3", "gemma3"]
    /// Largest accepted max |ours - reference| / max(1, max |reference|).
    static let tolerance: Float = 1e-4

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// One family's reference.json (the parts the tests read).
    struct Reference: Decodable, Sendable {
        struct Logits: Decodable, Sendable {
            var path: String
            /// Positions x vocabulary, row-major.
            var logits: [Float]
            /// GGUF only: what llama.cpp runs differently from the Hugging Face model.
            var differencesFromHF: [String]?

            enum CodingKeys: String, CodingKey {
                case path, logits
                case differencesFromHF = "differences_from_hf"
            }
        }

        /// transformers' own GGUF loader run on the GGUF file, compared with its reference.
        struct TransformersCheck: Decodable, Sendable {
            var status: String
            var error: String?
            var relativeError: Double?

            enum CodingKeys: String, CodingKey {
                case status, error
                case relativeError = "relative_error_vs_gguf_reference"
            }
        }

        var family: String
        var ggufArchitecture: String
        var tokens: [Int32]
        var vocabSize: Int
        var hf: Logits
        var gguf: Logits
        var transformersCheck: TransformersCheck

        enum CodingKeys: String, CodingKey {
            case family, tokens, hf, gguf
            case ggufArchitecture = "gguf_architecture"
            case vocabSize = "vocab_size"
            case transformersCheck = "transformers_gguf_check"
        }

        func logits(_ format: ModelFormat) -> Logits { format == .gguf ? gguf : hf }
    }

    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Scripts/family_fixtures.py")

    /// The folder the script wrote, made on first use and removed when the test process exits.
    static let folder: Result<ScratchFolder, any Error> = Result { try generate() }

    static func reference(_ family: String) throws -> Reference {
        let url = try folder.get().fileURL(family).appendingPathComponent("reference.json")
        do {
            return try JSONDecoder().decode(Reference.self, from: Data(contentsOf: url))
        } catch {
            throw Failure(description: "cannot read \(url.path) written by family_fixtures.py: \(error)")
        }
    }

    /// The model file or folder of `family` in `format`.
    static func path(_ family: String, _ format: ModelFormat) throws -> String {
        let reference = try reference(family)
        return try folder.get().fileURL(family).appendingPathComponent(reference.logits(format).path).path
    }

    private static func generate() throws -> ScratchFolder {
        let folder = try ScratchFolder.forTheWholeRun(prefix: "cfsp-family-fixtures")
        try TestProcess.python(script.path, [folder.path])
        return folder
    }

    /// cfsp's logits for `tokens` from the model at `path`, loaded with f32 weights.
    static func cfspLogits(path: String, tokens: [Int32], pool: ThreadPool) throws -> (logits: [Float], vocab: Int) {
        let loaded = try ModelLoader.load(path: path, precision: .f32)
        return (try loaded.model.logits(for: tokens, pool: pool), loaded.model.config.vocabSize)
    }

    /// nil when `ours` is within `tolerance` of `reference` (relative to max(1, max |reference|)),
    /// else a description of the first position that is not, and of the worst one.
    static func mismatch(_ ours: [Float], _ reference: [Float], positions: Int) -> String? {
        guard ours.count == reference.count, positions > 0, reference.count % positions == 0 else {
            return "cfsp gave \(ours.count) logits where the reference has \(reference.count) (\(positions) positions)"
        }
        let vocab = reference.count / positions
        let scale = max(1, reference.map { abs($0) }.max() ?? 0)
        var worst = (error: Float(0), index: 0)
        var firstBad: Int?
        for i in reference.indices {
            let error = abs(ours[i] - reference[i])
            if !(error <= tolerance * scale) && firstBad == nil { firstBad = i }
            if !(error <= worst.error) { worst = (error, i) }
        }
        guard let firstBad else { return nil }
        func describe(_ i: Int) -> String {
            "position \(i / vocab), vocab id \(i % vocab): cfsp \(ours[i]), reference \(reference[i])"
        }
        let summary = "logits differ beyond \(tolerance) relative: max |cfsp - reference| = \(worst.error), "
        let relative = "\(worst.error / scale) of max |reference| = \(scale); "
        return summary + relative + "first bad \(describe(firstBad)); worst \(describe(worst.index))"
    }
}

@Suite("Model families against transformers and llama.cpp's GGUF conventions")
struct FamilyReferenceTests {
    static let pool = ThreadPool(threads: 2)

    @Test("cfsp's logits for every position match transformers'", arguments: FamilyFixtures.families, [ModelFormat.huggingFace, .gguf])
    func logitsMatchTheReference(family: String, format: ModelFormat) throws {
        let reference = try FamilyFixtures.reference(family)
        let path = try FamilyFixtures.path(family, format)
        let label = "\(family) (\(format == .gguf ? "GGUF, architecture '\(reference.ggufArchitecture)'" : "HF folder"))"
        let ours: [Float]
        do {
            ours = try FamilyFixtures.cfspLogits(path: path, tokens: reference.tokens, pool: Self.pool).logits
        } catch {
            Issue.record("\(label): cfsp cannot run \(path): \(error)")
            return
        }
        let expected = reference.logits(format)
        if let problem = FamilyFixtures.mismatch(ours, expected.logits, positions: reference.tokens.count) {
            var context = ""
            if let differences = expected.differencesFromHF, !differences.isEmpty {
                context = "\n(this GGUF reference is the model llama.cpp runs for the file, which differs from the HF model: "
                    + differences.joined(separator: "; ") + ")"
            }
            Issue.record("\(label): \(problem)\(context)")
        }
    }

    @Test("llama: the HF folder and the GGUF file of the same weights give the same logits")
    func llamaFormatsAgree() throws {
        let reference = try FamilyFixtures.reference("llama")
        #expect(reference.gguf.differencesFromHF == [], "the fixture itself says the two formats differ")
        var results: [ModelFormat: [Float]] = [:]
        for format in [ModelFormat.huggingFace, .gguf] {
            let path = try FamilyFixtures.path("llama", format)
            do {
                results[format] = try FamilyFixtures.cfspLogits(path: path, tokens: reference.tokens, pool: Self.pool).logits
            } catch {
                Issue.record("llama (\(format.rawValue)): cfsp cannot run \(path): \(error)")
            }
        }
        guard let hf = results[.huggingFace], let gguf = results[.gguf] else { return }
        if let problem = FamilyFixtures.mismatch(gguf, hf, positions: reference.tokens.count) {
            Issue.record("llama: GGUF against HF folder (as the reference): \(problem)")
        }
    }

    @Test("the fixtures are sound: transformers' own GGUF loader reads each file as its reference", arguments: FamilyFixtures.families)
    func transformersReadsTheGGUFFixture(family: String) throws {
        let check = try FamilyFixtures.reference(family).transformersCheck
        #expect(check.status == "match",
                "\(family): transformers' GGUF loader \(check.status): \(check.error ?? "relative error \(check.relativeError ?? .nan)")")
    }
}
