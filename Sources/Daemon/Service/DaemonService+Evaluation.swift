import CFSPProtocol
import Core
import Foundation
import RPC

extension DaemonService {
    func evaluate(_ params: EvaluateParams, _ context: JobContext) async throws -> EvaluateResult {
        try await registry.withJob(on: params.model, method: EvaluateRequest.method) { entry in
            let reporter = context.progress(title: EvaluateRequest.method)
            let pool = self.pool
            let windowSize = params.windowSize
                ?? min(PerplexityEvaluator.defaultWindowSize, entry.model.config.contextLength)
            let result = try await compute { () throws -> PerplexityResult in
                let tokens = try TextInputResolver.stream(params.input, for: entry)
                let evaluator = PerplexityEvaluator(windowSize: windowSize, maxWindows: params.maxWindows)
                return try evaluator.evaluate(
                    model: entry.model, tokens: tokens, pool: pool,
                    progress: { p in
                        reporter.report(EvaluateProgress(p), message: "window \(p.windowsDone)/\(p.windowsTotal)",
                                        percentage: 100 * Double(p.windowsDone) / Double(max(p.windowsTotal, 1)))
                    },
                    isCancelled: { context.isCancelled })
            }
            guard result.perplexity.isFinite, result.meanNegativeLogLikelihood.isFinite else {
                throw DaemonError.invalidForModel(
                    "the perplexity is not a finite number (mean negative log-likelihood \(result.meanNegativeLogLikelihood)): the model's outputs overflow 32-bit floats (corrupt weights or configuration)")
            }
            return EvaluateResult(model: entry.handle, evaluation: result)
        }
    }

    func export(_ params: ExportParams, _ context: JobContext) async throws -> ExportResult {
        try await registry.withJob(on: params.model, method: ExportRequest.method) { entry in
            _ = context.progress(title: ExportRequest.method)
            let precision = params.precision
            let path = params.path
            let overwrite = params.overwrite
            let (hasTokenizer, notes, tally) = try await compute { () throws -> (Bool, [String], [TensorTypeTally]) in
                do {
                    switch params.format {
                    case .gguf:
                        let source = try entry.sourceGGUFPath.map { try GGUFFile(path: $0) }
                        let result = try GGUFExporter.export(
                            entry.model, to: path, precision: precision, source: source, name: params.name,
                            provenance: entry.provenance, overwrite: overwrite)
                        return (result.hasTokenizer, result.notes, result.tensorTally)
                    case .hf:
                        let result = try HuggingFaceExporter.export(
                            entry.model, to: path, precision: precision, tokenizer: try Self.tokenizerSource(of: entry),
                            provenance: entry.provenance, overwrite: overwrite)
                        return (result.hasTokenizer, result.notes, result.tensorTally)
                    }
                } catch {
                    throw DaemonError.cannotWrite(path: path, reason: ErrorText.words(error))
                }
            }
            return ExportResult(
                model: entry.handle, format: params.format, path: path, precision: precision,
                bytes: Self.byteCount(atPath: path), hasTokenizer: hasTokenizer, notes: notes, tensorTypes: tally)
        }
    }

    /// Where an HF export of `entry` takes its tokenizer files: the source folder's, else
    /// those built from the source GGUF's metadata, else none.
    static func tokenizerSource(of entry: ModelEntry) throws -> HuggingFaceTokenizerSource? {
        if let json = entry.tokenizerJSONPath {
            return .folder(tokenizerJSONPath: json, specialTokens: entry.tokenizer.map(SpecialTokenIDs.init) ?? SpecialTokenIDs())
        }
        guard let gguf = entry.sourceGGUFPath else { return nil }
        return .gguf(try GGUFFile(path: gguf).tokenizerMetadata())
    }

    /// Size of a file, or of every file under a folder.
    static func byteCount(atPath path: String) -> Int {
        let manager = FileManager.default
        var isDirectory: ObjCBool = false
        guard manager.fileExists(atPath: path, isDirectory: &isDirectory) else { return 0 }
        func size(_ p: String) -> Int { (try? manager.attributesOfItem(atPath: p)[.size] as? Int) ?? 0 }
        guard isDirectory.boolValue else { return size(path) }
        let names = (try? manager.subpathsOfDirectory(atPath: path)) ?? []
        return names.reduce(0) { $0 + size(path + "/" + $1) }
    }
}
