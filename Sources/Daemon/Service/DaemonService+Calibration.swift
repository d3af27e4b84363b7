import CFSPProtocol
import Core
import Foundation
import RPC

extension DaemonService {
    func calibrate(_ params: CalibrateParams, _ context: JobContext) async throws -> CalibrationInfo {
        let sampling = params.sampling
        try Self.checkWindowMemory(count: params.starts?.count ?? sampling.count, size: sampling.windowSize,
                                   countMember: params.starts == nil ? "count" : "starts")
        return try await registry.withJob(on: params.model, method: CalibrateRequest.method) { entry in
            let reporter = context.progress(title: CalibrateRequest.method)
            let pool = self.pool
            let (statistics, seconds) = try await compute { () throws -> (CalibrationStatistics, Double) in
                let windows = try Self.windows(of: TextInputResolver.tokens(params.input, for: entry), params,
                                               isCancelled: { context.isCancelled })
                let start = Date()
                let statistics = try Calibrator(gram: params.gram).calibrate(
                    model: entry.model, windows: windows, pool: pool,
                    progress: { p in
                        reporter.report(CalibrateProgress(p), message: "window \(p.windowsDone)/\(p.windowsTotal)",
                                        percentage: 100 * Double(p.windowsDone) / Double(max(p.windowsTotal, 1)))
                    },
                    isCancelled: { context.isCancelled })
                return (statistics, Date().timeIntervalSince(start))
            }
            try Self.checkImportance(statistics, metric: params.blockMetric)
            let stored = registry.add { handle in
                CalibrationEntry(handle: handle, statistics: statistics, model: entry.handle, seconds: seconds,
                                 textSource: Self.describe(params.input))
            }
            return Self.info(stored, metric: params.blockMetric)
        }
    }

    /// The calibration windows of `params` in `tokens`: the explicit ones, those at `starts`,
    /// or those drawn by the sampling (blocking: call from a compute thread).
    static func windows(of tokens: TextInputResolver.Tokens, _ params: CalibrateParams,
                        isCancelled: () -> Bool) throws -> [[Int32]] {
        let windows: [[Int32]]
        switch tokens {
        case .windows(let explicit):
            windows = explicit
        case .stream(let tokens):
            if let starts = params.starts {
                windows = try Calibrator.windows(from: tokens, starts: starts, size: params.sampling.windowSize)
            } else {
                windows = try CalibrationWindows.windows(of: tokens, sampling: params.sampling, isCancelled: isCancelled)
            }
        }
        if let empty = windows.firstIndex(where: \.isEmpty) {
            throw DaemonError.badData("window \(empty) is empty")
        }
        return windows
    }

    /// Refuses statistics whose block importance under `metric` is not finite (activations that
    /// overflow: corrupt weights or configuration).
    static func checkImportance(_ statistics: CalibrationStatistics, metric: BlockMetric) throws(DaemonError) {
        if let block = metric.importance(statistics).firstIndex(where: { !$0.isFinite }) {
            throw .invalidForModel(
                "the importance of block \(block) is not a finite number: the model's activations overflow 32-bit floats (corrupt weights or configuration)")
        }
    }

    /// Where a text input came from, in words, for a pruned model's provenance.
    static func describe(_ input: TextInput) -> String {
        if let path = input.path { return path }
        if input.text != nil { return "inline text" }
        if input.windows != nil { return "explicit token windows" }
        return "token ids"
    }

    /// The memory the windows of one calibration may take: a quarter of the machine's.
    static var windowMemoryLimit: Int { Int(clamping: ProcessInfo.processInfo.physicalMemory / 4) }

    /// Refuses `count` windows of `size` tokens whose copies (4 bytes a token plus an array's
    /// bookkeeping) would not fit in `windowMemoryLimit`, before anything is drawn or allocated.
    static func checkWindowMemory(count: Int, size: Int, countMember: String) throws(DaemonError) {
        let (perWindow, o1) = size.multipliedReportingOverflow(by: MemoryLayout<Int32>.stride)
        let (withHeader, o2) = perWindow.addingReportingOverflow(64)
        let (total, o3) = withHeader.multipliedReportingOverflow(by: count)
        let limit = windowMemoryLimit
        if o1 || o2 || o3 || total > limit {
            let countText = countMember == "starts" ? "\(count) 'starts'" : "'count' \(count)"
            throw .badData(
                "\(countText) windows of 'windowSize' \(size) tokens need more memory than the limit of \(limit) bytes (a quarter of this machine's); at this window size 'count' may be at most \(limit / max(withHeader, 1))")
        }
    }

    static func info(_ entry: CalibrationEntry, metric: BlockMetric) -> CalibrationInfo {
        CalibrationInfo(handle: entry.handle, model: entry.model, statistics: entry.statistics, seconds: entry.seconds,
                        metric: metric)
    }

    func saveCalibration(_ params: SaveCalibrationParams, _ context: JobContext) async throws
        -> SavedCalibration
    {
        let entry = try registry.calibration(params.calibration)
        let path = params.path
        let overwrite = params.overwrite
        let bytes = try await compute { () throws -> Int in
            if !overwrite && FileManager.default.fileExists(atPath: path) {
                throw DaemonError.cannotWrite(path: path, reason: "the file exists; pass \"overwrite\": true to replace it")
            }
            do {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys]
                let data = try encoder.encode(entry.statistics)
                try data.write(to: URL(fileURLWithPath: path), options: .atomic)
                return data.count
            } catch {
                throw DaemonError.cannotWrite(path: path, reason: ErrorText.words(error))
            }
        }
        return SavedCalibration(calibration: entry.handle, path: path, bytes: bytes)
    }

    func loadCalibration(_ params: LoadCalibrationParams, _ context: JobContext) async throws
        -> CalibrationInfo
    {
        let model = try params.model.map { handle throws(DaemonError) in try registry.model(handle) }
        let path = params.path
        let statistics = try await compute { () throws -> CalibrationStatistics in try Self.readCalibration(path) }
        if let model { try Self.check(statistics, fits: model) }
        let stored = registry.add { handle in
            CalibrationEntry(handle: handle, statistics: statistics, model: model?.handle, seconds: 0)
        }
        return Self.info(stored, metric: .standard)
    }

    /// The statistics in a file written by `calibration/save` (errors are `cannotLoad`).
    static func readCalibration(_ path: String) throws -> CalibrationStatistics {
        do {
            let data = try RegularFile.contents(of: path, limit: RegularFile.Limit.calibration)
            return try JSONDecoder().decode(CalibrationStatistics.self, from: data)
        } catch let error as DecodingError {
            throw DaemonError.cannotLoad(
                path: path, reason: "not a calibration file written by calibration/save (\(Self.describe(error)))")
        } catch {
            throw DaemonError.cannotLoad(path: path, reason: ErrorText.words(error))
        }
    }

    /// Refuses statistics gathered on FFN widths or a hidden size other than `model`'s.
    static func check(_ statistics: CalibrationStatistics, fits model: ModelEntry) throws(DaemonError) {
        let widths = model.model.config.intermediateSizes
        guard statistics.blocks.map(\.width) == widths, statistics.hiddenSize == model.model.config.hiddenSize else {
            throw .invalidForModel(
                "the calibration was gathered on FFN widths \(statistics.blocks.map(\.width)) and hidden size \(statistics.hiddenSize); model '\(model.handle)' has \(widths) and \(model.model.config.hiddenSize)")
        }
    }

    /// A one-line account of why a calibration file did not decode: which member, what was wrong.
    static func describe(_ error: DecodingError) -> String {
        func path(_ codingPath: [any CodingKey]) -> String {
            let joined = codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
            return joined.isEmpty ? "the file" : joined
        }
        switch error {
        case .keyNotFound(let key, let context): return "missing member '\(path(context.codingPath + [key]))'"
        case .typeMismatch(let type, let context): return "'\(path(context.codingPath))' must be of type \(type)"
        case .valueNotFound(let type, let context): return "'\(path(context.codingPath))' must be a \(type), not null"
        case .dataCorrupted(let context): return "'\(path(context.codingPath))': \(context.debugDescription)"
        @unknown default: return "\(error)"
        }
    }
}
