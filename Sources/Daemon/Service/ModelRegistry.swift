import CFSPProtocol
import Core
import Synchronization

/// A model the daemon holds, with what an export or a text input needs to know about its origin.
struct ModelEntry: Sendable {
    var handle: String
    var model: LlamaModel
    var tokenizer: (any TextTokenizer)?
    var format: ModelFormat
    var path: String
    /// The GGUF file whose general and tokenizer metadata an export carries (self or ancestor).
    var sourceGGUFPath: String?
    /// The tokenizer.json an HF export copies (self or ancestor).
    var tokenizerJSONPath: String?
    var parent: String?
    /// The model's name: the source's (GGUF `general.name`, else the file or folder name), or
    /// for a pruned model the one its provenance gives.
    var name: String = ""
    /// How a pruned model was made (nil for a model as loaded), recorded in its exports.
    var provenance: PruningProvenance? = nil
    /// The chat template's source (self or ancestor), if the files carried one.
    var chatTemplate: String? = nil
}

/// A calibration the daemon holds.
struct CalibrationEntry: Sendable {
    var handle: String
    var statistics: CalibrationStatistics
    var model: String?
    var seconds: Double
    /// Where the calibration text came from, in words (a path, "inline text", "token ids").
    var textSource: String? = nil
}

/// Every model and calibration shared by the daemon's clients, and the jobs running on each model,
/// so that unloading a model in use is refused instead of pulling it from under a job.
final class ModelRegistry: Sendable {
    private struct State {
        var models: [String: ModelEntry] = [:]
        var calibrations: [String: CalibrationEntry] = [:]
        var jobs: [String: [Int: String]] = [:]
        var nextModel = 1
        var nextCalibration = 1
        var nextJob = 1
    }

    private let state = Mutex(State())

    /// Stores a model under a new handle (`m1`, `m2`, ...) and returns the entry.
    func add(model: (String) -> ModelEntry) -> ModelEntry {
        state.withLock { state in
            let handle = "m\(state.nextModel)"
            state.nextModel += 1
            let entry = model(handle)
            state.models[handle] = entry
            return entry
        }
    }

    /// Stores a calibration under a new handle (`c1`, ...) and returns the entry.
    func add(calibration: (String) -> CalibrationEntry) -> CalibrationEntry {
        state.withLock { state in
            let handle = "c\(state.nextCalibration)"
            state.nextCalibration += 1
            let entry = calibration(handle)
            state.calibrations[handle] = entry
            return entry
        }
    }

    func model(_ handle: String) throws(DaemonError) -> ModelEntry {
        guard let entry = state.withLock({ $0.models[handle] }) else { throw .modelNotFound(handle) }
        return entry
    }

    func calibration(_ handle: String) throws(DaemonError) -> CalibrationEntry {
        guard let entry = state.withLock({ $0.calibrations[handle] }) else { throw .calibrationNotFound(handle) }
        return entry
    }

    /// Every model, in handle order.
    var models: [ModelEntry] {
        state.withLock { Array($0.models.values) }.sorted {
            (Int($0.handle.dropFirst()) ?? 0) < (Int($1.handle.dropFirst()) ?? 0)
        }
    }

    /// Runs `body` as a job on `handle`: the model cannot be unloaded until it returns.
    func withJob<T>(on handle: String, method: String, _ body: (ModelEntry) async throws -> T) async throws -> T {
        let (entry, job) = try state.withLock { state throws(DaemonError) -> (ModelEntry, Int) in
            guard let entry = state.models[handle] else { throw .modelNotFound(handle) }
            let job = state.nextJob
            state.nextJob += 1
            state.jobs[handle, default: [:]][job] = method
            return (entry, job)
        }
        defer { state.withLock { _ = $0.jobs[handle]?.removeValue(forKey: job) } }
        return try await body(entry)
    }

    /// Removes a model that has no running job.
    func unload(_ handle: String) throws(DaemonError) {
        try state.withLock { state throws(DaemonError) in
            guard state.models[handle] != nil else { throw .modelNotFound(handle) }
            let running = state.jobs[handle]?.sorted { $0.key < $1.key }.map(\.value) ?? []
            guard running.isEmpty else { throw .modelBusy(model: handle, jobs: running) }
            state.models[handle] = nil
            state.jobs[handle] = nil
        }
    }

    func releaseCalibration(_ handle: String) throws(DaemonError) {
        try state.withLock { state throws(DaemonError) in
            guard state.calibrations.removeValue(forKey: handle) != nil else { throw .calibrationNotFound(handle) }
        }
    }
}
