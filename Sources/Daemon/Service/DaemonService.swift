import Core
import Foundation
import Kernels
import RPC

/// The daemon's model methods on a JSON-RPC `Server`: models and calibrations live in a shared
/// registry (handles usable by every client), compute runs on dedicated threads over one shared
/// `ThreadPool`, and long jobs report progress and stop when cancelled.
public final class DaemonService: Sendable {
    /// The server's name and version in `initialize`.
    public static let serverInfo = ServerInfo(name: "cfspd", version: "0.1.0")

    /// The daemon's own `capabilities` members in `initialize`.
    public static var capabilities: [String: JSONValue] {
        func list(_ values: [String]) -> JSONValue { .array(values.map(JSONValue.string)) }
        return [
            "modelFormats": list(ModelFormat.allCases.map(\.rawValue)),
            "loadPrecisions": list(["f32", "bf16"]),
            "exportFormats": list(ExportFormat.allCases.map(\.rawValue)),
            "exportPrecisions": list(ExportPrecision.allCases.map(\.rawValue)),
            "pruningMethods": list(PruningMethod.allCases.map(\.rawValue)),
            "blockMetrics": list(BlockMetric.allCases.map(\.rawValue)),
            "rankAllocations": list(RankAllocation.allCases.map(\.rawValue)),
            "framings": list(Framing.allCases.map(\.rawValue)),
        ]
    }

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

    /// Registers every model method on `server`.
    public func register(on server: Server) {
        server.register(LoadModelRequest.self) { [self] params, context in try await loadModel(params, context) }
        server.register(ListModelsRequest.self) { [self] _, _ in
            ListModelsRequest.Response(models: registry.models.map(Self.info))
        }
        server.register(DescribeModelRequest.self) { [self] params, _ in Self.info(try registry.model(params.model)) }
        server.register(UnloadModelRequest.self) { [self] params, _ in
            try registry.unload(params.model)
            return UnloadModelRequest.Response(model: params.model, unloaded: true)
        }
        server.register(CalibrateRequest.self) { [self] params, context in try await calibrate(params, context) }
        server.register(SaveCalibrationRequest.self) { [self] params, context in
            try await saveCalibration(params, context)
        }
        server.register(LoadCalibrationRequest.self) { [self] params, context in
            try await loadCalibration(params, context)
        }
        server.register(ReleaseCalibrationRequest.self) { [self] params, _ in
            try registry.releaseCalibration(params.calibration)
            return ReleaseCalibrationRequest.Response(calibration: params.calibration, released: true)
        }
        server.register(ScoreRequest.self) { [self] params, context in try await score(params, context) }
        server.register(PruneRequest.self) { [self] params, context in try await prune(params, context) }
        server.register(EvaluateRequest.self) { [self] params, context in try await evaluate(params, context) }
        server.register(ExportRequest.self) { [self] params, context in try await export(params, context) }
        server.register(FinetuneRequest.self) { [self] params, context in try await finetune(params, context) }
    }

    // MARK: Models

    static func info(_ entry: ModelEntry) -> ModelInfo {
        let model = entry.model
        return ModelInfo(
            model: entry.handle, path: entry.path, format: entry.format.rawValue,
            architecture: model.config.architecture, precision: model.precision.rawValue,
            config: ModelInfo.Config(model.config), parameters: model.parameterCount,
            ffnParameters: model.ffnParameterCount, hasTokenizer: entry.tokenizer != nil, parent: entry.parent)
    }

    private func loadModel(_ params: LoadModelRequest.Params, _ context: RequestContext) async throws -> ModelInfo {
        _ = context.progress(title: "model/load")
        let path = params.path
        let precision = params.precision ?? .f32
        let loaded = try await BlockingWork.run { () throws -> LoadedModel in
            do {
                return try ModelLoader.load(path: path, precision: precision)
            } catch {
                throw DaemonError.cannotLoad(path: path, reason: "\(error)")
            }
        }
        try context.checkCancellation()
        let entry = registry.add { handle in
            ModelEntry(handle: handle, model: loaded.model, tokenizer: loaded.tokenizer, format: loaded.format,
                       path: loaded.path, sourceGGUFPath: loaded.format == .gguf ? loaded.path : nil,
                       tokenizerJSONPath: loaded.tokenizerJSONPath, parent: nil)
        }
        return Self.info(entry)
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
