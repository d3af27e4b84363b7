import CFSPProtocol
import Core
import Foundation

extension DaemonService {
    /// `calibration/merge`: adds up the statistics of held calibrations and saved files (in that
    /// order) into a new calibration, refusing inputs that do not add up (`calibrationMismatch`).
    /// What each statistic becomes is `CalibrationStatistics.merged`'s account.
    func mergeCalibrations(_ params: MergeCalibrationsParams, _ context: JobContext) async throws -> CalibrationInfo {
        let entries = try params.calibrations.map { handle throws(DaemonError) in try registry.calibration(handle) }
        let model = try params.model.map { handle throws(DaemonError) in try registry.model(handle) }
        let paths = params.paths
        let labels = params.calibrations + paths
        let merged = try await compute { () throws -> CalibrationStatistics in
            var parts = entries.map(\.statistics)
            for path in paths {
                try context.checkCancellation()
                parts.append(try Self.readCalibration(path))
            }
            do throws(CalibrationMergeError) {
                return try CalibrationStatistics.merged(parts)
            } catch {
                let inputs = [error.first, error.other].filter { $0 < labels.count }.map { labels[$0] }
                throw DaemonError.calibrationMismatch(member: error.member, inputs: inputs,
                                                      reason: error.message(naming: labels))
            }
        }
        if let model { try Self.check(merged, fits: model) }
        let models = Set(entries.map(\.model))
        let sources = entries.compactMap(\.textSource).reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
        let stored = registry.add { handle in
            CalibrationEntry(
                handle: handle, statistics: merged,
                model: model?.handle ?? (paths.isEmpty && models.count == 1 ? models.first! : nil),
                seconds: 0, textSource: sources.isEmpty ? nil : sources.joined(separator: " + "))
        }
        return Self.info(stored, metric: params.blockMetric)
    }
}
