import Core
import Foundation
import RPC

extension DaemonService {
    /// Default window of `evaluate`, as the literature's perplexity protocol.
    static let defaultEvaluationWindowSize = 1024

    func evaluate(_ params: EvaluateRequest.Params, _ context: RequestContext) async throws -> EvaluateRequest.Response {
        try TextInputResolver.validate(params.input, allowsWindows: false)
        if let maxWindows = params.maxWindows, maxWindows < 1 {
            throw DaemonError.badData("'maxWindows' must be at least 1 (got \(maxWindows))")
        }
        return try await registry.withJob(on: params.model, method: "evaluate") { entry in
            let reporter = context.progress(title: "evaluate")
            let pool = self.pool
            let windowSize = params.windowSize ?? min(Self.defaultEvaluationWindowSize, entry.model.config.contextLength)
            let result = try await compute { () throws -> PerplexityResult in
                guard case .stream(let tokens) = try TextInputResolver.tokens(params.input, for: entry) else {
                    throw ResponseError.invalidParams("'windows' is accepted by calibrate only")
                }
                try TextInputResolver.requireTokens(tokens)
                let evaluator = PerplexityEvaluator(windowSize: windowSize, maxWindows: params.maxWindows)
                return try evaluator.evaluate(
                    model: entry.model, tokens: tokens, pool: pool,
                    progress: { p in
                        reporter.report(
                            message: "window \(p.windowsDone)/\(p.windowsTotal)",
                            percentage: 100 * Double(p.windowsDone) / Double(max(p.windowsTotal, 1)),
                            fields: ["window": .int(p.windowsDone), "windows": .int(p.windowsTotal),
                                     "tokensPerSecond": .double(p.tokensPerSecond),
                                     "perplexity": .double(p.runningPerplexity)])
                    },
                    isCancelled: { context.isCancelled })
            }
            guard result.perplexity.isFinite, result.meanNegativeLogLikelihood.isFinite else {
                throw DaemonError.invalidForModel(
                    "the perplexity is not a finite number (mean negative log-likelihood \(result.meanNegativeLogLikelihood)): the model's outputs overflow 32-bit floats (corrupt weights or configuration)")
            }
            return EvaluateRequest.Response(
                model: entry.handle, perplexity: result.perplexity,
                meanNegativeLogLikelihood: result.meanNegativeLogLikelihood, windows: result.windows,
                windowSize: result.windowSize, scoredTokens: result.scoredTokens, seconds: result.seconds,
                tokensPerSecond: Double(result.windows * result.windowSize) / max(result.seconds, 1e-9))
        }
    }

    func export(_ params: ExportRequest.Params, _ context: RequestContext) async throws -> ExportRequest.Response {
        try await registry.withJob(on: params.model, method: "export") { entry in
            _ = context.progress(title: "export")
            let precision = params.precision ?? .f32
            let path = params.path
            let overwrite = params.overwrite ?? false
            let (hasTokenizer, notes) = try await compute { () throws -> (Bool, [String]) in
                do {
                    switch params.format {
                    case .gguf:
                        let source = try entry.sourceGGUFPath.map { try GGUFFile(path: $0) }
                        let result = try GGUFExporter.export(
                            entry.model, to: path, precision: precision, source: source, name: params.name,
                            overwrite: overwrite)
                        return (result.hasTokenizer, result.notes)
                    case .hf:
                        let result = try HuggingFaceExporter.export(
                            entry.model, to: path, precision: precision, tokenizerJSONPath: entry.tokenizerJSONPath,
                            overwrite: overwrite)
                        return (result.hasTokenizer, result.notes)
                    }
                } catch {
                    throw DaemonError.cannotWrite(path: path, reason: ErrorText.words(error))
                }
            }
            return ExportRequest.Response(
                model: entry.handle, format: params.format, path: path, precision: precision,
                bytes: Self.byteCount(atPath: path), hasTokenizer: hasTokenizer, notes: notes)
        }
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
