import Core
import Foundation
import Kernels
import Testing
import TestSupport

/// `CalibrationStatistics.merged` on statistics filled with seeded values: every field is the
/// naive sum (or the common value), and inputs that do not add up are refused by name.
@Suite("Calibration statistics merge")
struct CalibrationMergeTests {
    /// A Gram matrix of `size` holding seeded values, made through its saved form (the only public way).
    static func gram(size: Int, _ random: inout TestRandom) throws -> GramMatrix {
        let count = size * (size + 1) / 2
        var data = Data(count: count * 8)
        data.withUnsafeMutableBytes { raw in
            for k in 0..<count {
                raw.storeBytes(of: (random.unit() * 10).bitPattern.littleEndian, toByteOffset: k * 8, as: UInt64.self)
            }
        }
        let json = "{\"size\":\(size),\"upperTriangleFloat64Base64\":\"\(data.base64EncodedString())\"}"
        return try JSONDecoder().decode(GramMatrix.self, from: Data(json.utf8))
    }

    /// Statistics of blocks `widths` with seeded sums, `windows` windows of `windowSize` tokens.
    static func statistics(widths: [Int] = [5, 3], hiddenSize: Int = 8, windows: Int, windowSize: Int = 4,
                           gram: Bool = true, seed: UInt64) throws -> CalibrationStatistics {
        var random = TestRandom(seed: seed)
        var statistics = CalibrationStatistics(widths: widths, hiddenSize: hiddenSize)
        statistics.windows = windows
        statistics.windowSize = windowSize
        statistics.tokens = windows * windowSize
        for b in statistics.blocks.indices {
            statistics.blocks[b].angularSum = random.unit()
            statistics.blocks[b].cosineSum = random.unit()
            statistics.blocks[b].mseSum = random.unit()
            statistics.blocks[b].maeSum = random.unit()
            statistics.blocks[b].activationSum = (0..<widths[b]).map { _ in random.unit() - 0.5 }
            statistics.blocks[b].activationSquareSum = (0..<widths[b]).map { _ in random.unit() }
            if gram { statistics.blocks[b].gram = try Self.gram(size: widths[b], &random) }
        }
        return statistics
    }

    @Test("every statistic is the sum over the parts, taken field by field with naive loops")
    func sums() throws {
        let parts = try (0..<3).map { try Self.statistics(windows: $0 + 1, seed: UInt64(40 + $0)) }
        let merged = try CalibrationStatistics.merged(parts)
        #expect(merged.windows == 6 && merged.tokens == 24 && merged.windowSize == 4 && merged.hiddenSize == 8)
        #expect(merged.formatVersion == CalibrationStatistics.formatVersion && merged.hasGram)
        for b in 0..<2 {
            var angular = 0.0, cosine = 0.0, mse = 0.0, mae = 0.0
            for part in parts {
                angular += part.blocks[b].angularSum
                cosine += part.blocks[b].cosineSum
                mse += part.blocks[b].mseSum
                mae += part.blocks[b].maeSum
            }
            let m = merged.blocks[b]
            #expect(m.angularSum == angular && m.cosineSum == cosine && m.mseSum == mse && m.maeSum == mae)
            let width = parts[0].blocks[b].width
            for j in 0..<width {
                #expect(m.activationSum[j] == parts.reduce(0.0) { $0 + $1.blocks[b].activationSum[j] })
                #expect(m.activationSquareSum[j] == parts.reduce(0.0) { $0 + $1.blocks[b].activationSquareSum[j] })
                for k in 0..<width {
                    #expect(m.gram![j, k] == parts.reduce(0.0) { $0 + $1.blocks[b].gram![j, k] })
                }
            }
        }
        #expect(try CalibrationStatistics.merged([parts[1]]) == parts[1], "one part gives a copy")
    }

    @Test("calibrations of two shares of the windows merge into the calibration of all of them, sublayer statistics included")
    func sharesOfRealCalibration() throws {
        let model = try PruningTests.tinyModel()
        var random = TestRandom(seed: 77)
        let windows = (0..<4).map { _ in (0..<12).map { _ in Int32(random.next() % UInt64(model.config.vocabSize)) } }
        let pool = ThreadPool(threads: 2)
        let joint = try Calibrator().calibrate(model: model, windows: windows, pool: pool)
        let first = try Calibrator().calibrate(model: model, windows: Array(windows[..<1]), pool: pool)
        let rest = try Calibrator().calibrate(model: model, windows: Array(windows[1...]), pool: pool)
        #expect(joint.hasSublayerStatistics, "the calibrator measures the sublayers")
        let merged = try CalibrationStatistics.merged([first, rest])
        #expect(merged.hasSublayerStatistics && merged.hasGram && merged.tokens == joint.tokens)
        func close(_ a: Double?, _ b: Double?) -> Bool {
            guard let a, let b else { return false }
            return abs(a - b) <= 1e-9 * max(1, abs(b))
        }
        for (m, j) in zip(merged.blocks, joint.blocks) {
            #expect(close(m.angularSum, j.angularSum) && close(m.attentionAngularSum, j.attentionAngularSum))
            #expect(close(m.ffnAngularSum, j.ffnAngularSum))
            let energy = try #require(m.attentionSquareSum), jointEnergy = try #require(j.attentionSquareSum)
            #expect(energy.count == jointEnergy.count && zip(energy, jointEnergy).allSatisfy { close($0, $1) })
            let gram = try #require(m.attentionGram), jointGram = try #require(j.attentionGram)
            #expect(gram.size == jointGram.size)
            for a in 0..<gram.size { for b in a..<gram.size { #expect(close(gram[a, b], jointGram[a, b])) } }
        }
        // A part without sublayer statistics (a format-2 file) leaves the merge without them.
        var old = rest
        for b in old.blocks.indices {
            old.blocks[b].attentionAngularSum = nil
            old.blocks[b].ffnAngularSum = nil
            old.blocks[b].attentionSquareSum = nil
            old.blocks[b].attentionGram = nil
        }
        let mixed = try CalibrationStatistics.merged([first, old])
        #expect(!mixed.hasSublayerStatistics && mixed.blocks.allSatisfy { $0.attentionGram == nil })
        #expect(mixed.blocks.map(\.activationSquareSum) == merged.blocks.map(\.activationSquareSum))
    }

    @Test("without Gram matrices the merge has none; the lowest format version is kept")
    func noGram() throws {
        var old = try Self.statistics(windows: 2, gram: false, seed: 1)
        old.formatVersion = 1
        let merged = try CalibrationStatistics.merged([try Self.statistics(windows: 1, gram: false, seed: 2), old])
        #expect(merged.blocks.allSatisfy { $0.gram == nil } && merged.formatVersion == 1)
    }

    @Test("inputs that do not add up are refused, naming the statistic and both inputs")
    func refusals() throws {
        let base = try Self.statistics(windows: 2, seed: 3)
        func refusal(_ other: CalibrationStatistics) -> CalibrationMergeError? {
            do throws(CalibrationMergeError) {
                _ = try CalibrationStatistics.merged([base, base, other])
                return nil
            } catch {
                return error
            }
        }
        let hidden = refusal(try Self.statistics(hiddenSize: 16, windows: 2, seed: 4))
        #expect(hidden?.member == "hiddenSize" && hidden?.first == 0 && hidden?.other == 2)
        #expect(hidden?.message(naming: ["c1", "c2", "c3"]) ==
                "'c1' and 'c3' were calibrated on models of different shapes (hiddenSize 8 and 16)")
        #expect(refusal(try Self.statistics(widths: [5, 3, 3], windows: 2, seed: 5))?.member == "blocks")
        #expect(refusal(try Self.statistics(widths: [5, 4], windows: 2, seed: 5))?.member == "blocks")
        let window = refusal(try Self.statistics(windows: 2, windowSize: 8, seed: 6))
        #expect(window?.member == "windowSize" && window?.firstValue == "4" && window?.otherValue == "8")
        let gram = refusal(try Self.statistics(windows: 2, gram: false, seed: 7))
        #expect(gram?.member == "gram")
        #expect(gram?.message().hasPrefix("input 0 has the Gram matrices and input 2 has none (block 0)") == true)
        #expect(throws: CalibrationMergeError.self) { try CalibrationStatistics.merged([]) }
    }
}
