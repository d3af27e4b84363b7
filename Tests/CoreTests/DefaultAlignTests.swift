import Core
import Kernels
import Testing
import TestSupport

/// cfsp rounds kept widths to `PruningMethod.deployAlign` by default (faster where the model
/// runs, bench/README.md), but only on blocks wide enough for the rounding to stay small; the
/// published methods keep their exact widths unless asked.
@Suite struct DefaultAlignTests {
    static func calibrated(_ model: LlamaModel) throws -> CalibrationStatistics {
        var rng = TestRandom(seed: 5)
        let windows = (0..<3).map { _ in (0..<12).map { _ in Int32(rng.next() % UInt64(model.config.vocabSize)) } }
        return try Calibrator().calibrate(model: model, windows: windows, pool: ThreadPool(threads: 2))
    }

    /// Two blocks as wide as a small real model's FFN (1024, 1536), tiny everywhere else.
    static func wideModel() throws -> LlamaModel {
        var config = LlamaConfig.tiny(layers: 2, hidden: 8, ffn: 1536, vocab: 20)
        config.intermediateSizes = [1024, 1536]
        return try LlamaModel.random(config: config, seed: 11)
    }

    @Test func theRuleByMethodAndWidth() {
        let wide = [PruningMethod.deployAlign * PruningMethod.deployAlignMinimumUnits, 1536]
        #expect(PruningMethod.cfsp.defaultAlign(widths: wide) == PruningMethod.deployAlign)
        #expect(PruningMethod.cfsp.defaultAlign(widths: [wide[0] - 1, 1536]) == 1)  // one narrow block is enough
        #expect(PruningMethod.cfsp.defaultAlign(widths: []) == 1)
        for method in PruningMethod.allCases where method != .cfsp {
            #expect(method.defaultAlign(widths: wide) == 1, "\(method) reproduces its paper's exact widths")
        }
        var options = PruningOptions(sparsity: 0.3)
        #expect(options.effectiveAlign(widths: wide) == PruningMethod.deployAlign)
        options.align = 1
        #expect(options.effectiveAlign(widths: wide) == 1)
    }

    @Test func cfspPrunesWideBlocksToMultiplesOfTheDefault() throws {
        let model = try Self.wideModel()
        let statistics = try Self.calibrated(model)
        var options = PruningOptions(sparsity: 0.3)
        options.compensation = Compensation.none
        let plan = try Pruner().plan(model: model, statistics: statistics, options: options)
        let counts = plan.blocks.map(\.keptCount)
        #expect(counts.allSatisfy { $0 % PruningMethod.deployAlign == 0 }, "\(counts)")
        // The total is the budget's, rounded to whole units: |kept - (1 - p) x all| <= one unit.
        let target = 0.7 * Double(1024 + 1536)
        #expect(abs(Double(counts.reduce(0, +)) - target) <= Double(PruningMethod.deployAlign), "\(counts)")
        #expect(plan.options.align == PruningMethod.deployAlign, "the plan says which alignment it used")

        options.align = 1
        let exact = try Pruner().plan(model: model, statistics: statistics, options: options)
        #expect(exact.options.align == 1)
        #expect(exact.blocks.map(\.keptCount).reduce(0, +) == Int(target.rounded()))
    }

    @Test func narrowBlocksAndBaselinesKeepExactWidths() throws {
        let narrow = try PruningTests.tinyModel()
        let statistics = try PruningTests.calibrated(narrow)
        var options = PruningOptions(sparsity: 0.25)
        options.compensation = Compensation.none
        let plan = try Pruner().plan(model: narrow, statistics: statistics, options: options)
        #expect(plan.options.align == 1)
        #expect(plan.blocks.map(\.keptCount).reduce(0, +) == Int((0.75 * Double(64 + 48 + 64)).rounded()))

        let wide = try Self.wideModel()
        let baseline = try Pruner().plan(model: wide, statistics: try Self.calibrated(wide),
                                         options: PruningOptions(sparsity: 0.3, method: .activation))
        #expect(baseline.options.align == 1)
        #expect(baseline.blocks.map(\.keptCount).reduce(0, +) == Int((0.7 * Double(1024 + 1536)).rounded()))
    }
}
