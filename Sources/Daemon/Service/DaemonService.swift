import CFSPProtocol
import Core
import Foundation
import Kernels
import RPC

/// The daemon's model methods on a JSON-RPC `Server`: models and calibrations live in a shared
/// registry (handles usable by every client), compute runs on dedicated threads over one shared
/// `ThreadPool`, and long jobs report progress and stop when cancelled. The methods' names,
/// params and results are CFSPProtocol's.
public final class DaemonService: Sendable {
    /// The server's name and version in `initialize`.
    public static let serverInfo = ServerInfo(name: "cfspd", version: CFSPVersion.current)

    /// The daemon's own `capabilities` members in `initialize`.
    public static var capabilities: [String: JSONValue] { DaemonCapabilities().wireMembers }

    let registry = ModelRegistry()
    let pool: ThreadPool

    /// - Parameter pool: the threads every compute job shares.
    public init(pool: ThreadPool) {
        self.pool = pool
    }

    /// A server with the daemon's identity, capabilities and every method registered.
    public func makeServer() -> Server {
        let server = Server(info: Self.serverInfo, capabilities: Self.capabilities)
        register(on: server)
        return server
    }

    /// Registers every model method of `ProtocolMethods.all` on `server`.
    public func register(on server: Server) {
        route(LoadModelRequest.self, on: server) { [self] params, context in try await loadModel(params, context) }
        route(ListModelsRequest.self, on: server) { [self] _, _ in ModelList(models: registry.models.map(Self.info)) }
        route(DescribeModelRequest.self, on: server) { [self] params, _ in Self.info(try registry.model(params.model)) }
        route(UnloadModelRequest.self, on: server) { [self] params, _ in
            try registry.unload(params.model)
            return UnloadedModel(model: params.model)
        }
        route(CalibrateRequest.self, on: server) { [self] params, context in try await calibrate(params, context) }
        route(SaveCalibrationRequest.self, on: server) { [self] params, context in
            try await saveCalibration(params, context)
        }
        route(LoadCalibrationRequest.self, on: server) { [self] params, context in
            try await loadCalibration(params, context)
        }
        route(MergeCalibrationsRequest.self, on: server) { [self] params, context in
            try await mergeCalibrations(params, context)
        }
        route(ReleaseCalibrationRequest.self, on: server) { [self] params, _ in
            try registry.releaseCalibration(params.calibration)
            return ReleasedCalibration(calibration: params.calibration)
        }
        route(ScoreRequest.self, on: server) { [self] params, context in try await score(params, context) }
        route(PruneRequest.self, on: server) { [self] params, context in try await prune(params, context) }
        route(EvaluateRequest.self, on: server) { [self] params, context in try await evaluate(params, context) }
        route(ExportRequest.self, on: server) { [self] params, context in try await export(params, context) }
        route(FinetuneRequest.self, on: server) { [self] params, context in try await finetune(params, context) }
        route(RunRequest.self, on: server) { [self] params, context in try await run(params, context) }
        route(SweepRequest.self, on: server) { [self] params, context in try await sweep(params, context) }
        route(GenerateRequest.self, on: server) { [self] params, context in try await generate(params, context) }
        route(TokenizeRequest.self, on: server) { [self] params, _ in try await tokenize(params) }
        route(DetokenizeRequest.self, on: server) { [self] params, _ in try await detokenize(params) }
        route(LogLikelihoodRequest.self, on: server) { [self] params, context in try await logLikelihood(params, context) }
    }

    /// Registers a typed handler whose params are decoded by their members (errors -32602 name
    /// the member, its range or its accepted values) rather than by the server's generic decoding.
    private func route<R: ProtocolMethod>(
        _ type: R.Type, on server: Server,
        _ handler: @escaping @Sendable (R.Params, JobContext) async throws -> R.Response
    ) {
        server.register(method: R.method) { params, context in
            let typed: R.Params
            do throws(WireError) {
                typed = try R.Params.decode(wire: params ?? .object([:]))
            } catch {
                throw error.responseError(method: R.method)
            }
            return try await handler(typed, JobContext(context)).wireJSON
        }
    }

    // MARK: Models

    static func info(_ entry: ModelEntry) -> ModelInfo {
        ModelInfo(handle: entry.handle, path: entry.path, format: entry.format, model: entry.model,
                  hasTokenizer: entry.tokenizer != nil, parent: entry.parent,
                  bosToken: entry.tokenizer?.bosTokenID.map { Int($0) }, eosToken: entry.tokenizer?.eosTokenID.map { Int($0) },
                  addsBos: entry.tokenizer?.addsBOSToken ?? false)
    }

    func loadModel(_ params: LoadModelParams, _ context: JobContext) async throws -> ModelInfo {
        let reporter = context.progress(title: LoadModelRequest.method)
        let path = params.path
        let precision = params.precision
        let loading = LoadingObserver(
            progress: { done, total in
                reporter.report(message: "tensor \(done + 1) of \(total)", percentage: 100 * Double(done) / Double(max(total, 1)))
            },
            isCancelled: { context.isCancelled })
        let loaded = try await BlockingWork.run { () throws -> LoadedModel in
            do {
                return try ModelLoader.load(path: path, precision: precision, loading: loading)
            } catch let error as OperationCancelled {
                throw error
            } catch {
                throw DaemonError.cannotLoad(path: path, reason: ErrorText.words(error))
            }
        }
        try context.checkCancellation()
        // Everything model/list will encode must encode now, or the entry would break every
        // later model/list (the model's own checks already refuse non-finite floats).
        do {
            _ = try JSONEncoder().encode(ModelConfigInfo(loaded.model.config))
        } catch {
            throw DaemonError.cannotLoad(path: path, reason: "the configuration holds a value JSON cannot carry (\(ErrorText.words(error)))")
        }
        let entry = registry.add { handle in
            ModelEntry(handle: handle, model: loaded.model, tokenizer: loaded.tokenizer, format: loaded.format,
                       path: loaded.path, sourceGGUFPath: loaded.format == .gguf ? loaded.path : nil,
                       tokenizerJSONPath: loaded.tokenizerJSONPath, parent: nil, name: Self.sourceName(of: loaded),
                       chatTemplate: loaded.chatTemplate)
        }
        return Self.info(entry)
    }

    /// A loaded model's name: GGUF `general.name`, else the file or folder name without extension.
    static func sourceName(of loaded: LoadedModel) -> String {
        sourceName(metadata: loaded.ggufMetadata, path: loaded.path)
    }

    /// The name of the model at `path` whose GGUF metadata (if any) is `metadata`.
    static func sourceName(metadata: [String: GGUFValue]?, path: String) -> String {
        if let name = metadata?["general.name"]?.string, !name.isEmpty { return name }
        let base = ((path as NSString).standardizingPath as NSString).lastPathComponent
        return (base as NSString).deletingPathExtension
    }

    // MARK: Compute helpers

    /// Runs blocking Core work, turning Core's errors into the protocol's.
    func compute<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        do {
            return try await BlockingWork.run(body)
        } catch {
            throw DaemonError.fromCompute(error)
        }
    }
}
