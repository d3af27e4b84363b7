import Core
import Foundation
import Kernels

// Pruning quality of every method on a model (SmolLM2-135M by default, Gemma 3 270M with
// `run --model gemma3`):
// calibration on WikiText-2 validation (N windows of S tokens, seed 0), perplexity on the first
// E windows of 1024 tokens of WikiText-2 test, every method at FFN sparsity 0.2, 0.3 and 0.5.
// Usage: PruneQualityBench MODEL DATA_DIR [--windows N] [--eval-windows E] [--precision f32|bf16]
//        [--sparsities 0.2,0.3,0.5] [--methods cfsp,cfsp-ref,...] [--markdown OUT]
//        [--compensations default,none,least-squares,obs] [--budget-rule per-token|paper]
//        [--damping 0.01] [--align N] [--statistics-cache FILE] [--no-gram]
//        [--target ffn-sparsity|parameters] [--structure-sets ffn/ffn,attention/ffn,depth]
// Each method runs once per compensation ("default": the method's own default) and per set of
// structures (protocol.md, "Structures and one parameter budget"; with --target parameters the sparsities are shares of all
// parameters to remove).

struct Arguments {
    var model = ""
    var data = ""
    /// N and S of the calibration, the paper's by default.
    var sampling = CalibrationSampling()
    var evalWindows = 64
    var precision = WeightPrecision.f32
    var sparsities = [0.2, 0.3, 0.5]
    var methods = PruningMethod.allCases
    var markdown: String?
    var threads = ThreadPool.availableProcessors
    /// nil: the method's default compensation.
    var compensations: [Compensation?] = [nil]
    var budgetRule = PruningOptions(sparsity: 0).budgetRule
    var damping = PruningOptions(sparsity: 0).damping
    /// Kept widths' multiple; nil: the method's default (64 for cfsp on wide FFNs, else 1).
    var align: Int?
    var statisticsCache: String?
    /// Calibrate without the Gram matrices (then only compensation none can prune).
    var gram = true
    /// What the sparsities count, and the sets of structures each run may remove.
    var target = PruningTarget.ffnSparsity
    var structureSets: [[PruningStructure]] = [[.ffn]]

    init() {
        var rest = Array(CommandLine.arguments.dropFirst())
        func fail(_ message: String) -> Never {
            FileHandle.standardError.write(Data("error: \(message)\n".utf8))
            exit(2)
        }
        func value(_ flag: String) -> String {
            guard !rest.isEmpty else { fail("\(flag) needs a value") }
            return rest.removeFirst()
        }
        func parsed<T>(_ value: T?, _ message: String) -> T {
            guard let value else { fail(message) }
            return value
        }
        var positional: [String] = []
        while !rest.isEmpty {
            let arg = rest.removeFirst()
            switch arg {
            case "--windows": sampling.count = parsed(Int(value(arg)), "--windows takes an integer")
            case "--window-size": sampling.windowSize = parsed(Int(value(arg)), "--window-size takes an integer")
            case "--eval-windows": evalWindows = parsed(Int(value(arg)), "--eval-windows takes an integer")
            case "--threads": threads = parsed(Int(value(arg)), "--threads takes an integer")
            case "--precision": precision = parsed(WeightPrecision(rawValue: value(arg)), "--precision is f32 or bf16")
            case "--sparsities": sparsities = value(arg).split(separator: ",").map { parsed(Double($0), "bad sparsity \($0)") }
            case "--methods":
                methods = value(arg).split(separator: ",").map {
                    parsed(PruningMethod(rawValue: String($0)), "unknown method \($0); known: \(PruningMethod.allCases.map(\.rawValue))")
                }
            case "--markdown": markdown = value(arg)
            case "--compensations":
                compensations = value(arg).split(separator: ",").map { name -> Compensation? in
                    name == "default" ? nil : parsed(Compensation(rawValue: String(name)),
                                                     "unknown compensation \(name); known: default, \(Compensation.allCases.map(\.rawValue))")
                }
            case "--budget-rule":
                budgetRule = parsed(BudgetRule(rawValue: value(arg)), "--budget-rule is \(BudgetRule.allCases.map(\.rawValue))")
            case "--damping": damping = parsed(Double(value(arg)), "--damping takes a number")
            case "--align": align = parsed(Int(value(arg)), "--align takes an integer")
            case "--statistics-cache": statisticsCache = value(arg)
            case "--no-gram": gram = false
            case "--target":
                target = parsed(PruningTarget(rawValue: value(arg)), "--target is \(PruningTarget.allCases.map(\.rawValue))")
            case "--structure-sets":
                structureSets = value(arg).split(separator: "/").map { set in
                    set.split(separator: ",").map {
                        parsed(PruningStructure(rawValue: String($0)), "unknown structure \($0); known: \(PruningStructure.allCases.map(\.rawValue))")
                    }
                }
            default: positional.append(arg)
            }
        }
        guard positional.count == 2 else { fail("usage: PruneQualityBench MODEL DATA_DIR [options]") }
        model = positional[0]
        data = positional[1]
    }
}

func log(_ message: String) { FileHandle.standardError.write(Data((message + "\n").utf8)) }
func seconds(since start: Date) -> Double { Date().timeIntervalSince(start) }

let args = Arguments()
VectorISA.requireRunnable()
let pool = ThreadPool(threads: args.threads)
log(VectorISA.summary)
let loaded = try ModelLoader.load(path: args.model, precision: args.precision)
guard let tokenizer = loaded.tokenizer else { log("the model has no tokenizer"); exit(1) }
let dense = loaded.model

let calibrationText = try TextCorpus.loadJSONL(path: args.data + "/validation.jsonl", separator: " ")
let calibrationTokens = tokenizer.encodeDocument(calibrationText)
let windows = try CalibrationWindows.windows(of: calibrationTokens, sampling: args.sampling)
let evalTokens = tokenizer.encodeDocument(try TextCorpus.loadJSONL(path: args.data + "/test.jsonl", separator: "\n\n"))
let evaluator = PerplexityEvaluator(maxWindows: args.evalWindows)
log("calibration: \(calibrationTokens.count) tokens, \(args.sampling.count) windows of \(args.sampling.windowSize); evaluation: \(evaluator.windowCount(tokens: evalTokens.count)) windows of \(evaluator.windowSize)")

func perplexity(_ model: LlamaModel) throws -> Double {
    try evaluator.evaluate(model: model, tokens: evalTokens, pool: pool).perplexity
}

var calibrationStart = Date()
let statistics: CalibrationStatistics
var calibrationSeconds = 0.0
if let cache = args.statisticsCache, let data = FileManager.default.contents(atPath: cache),
   let cached = try? JSONDecoder().decode(CalibrationStatistics.self, from: data),
   cached.blocks.map(\.width) == dense.config.intermediateSizes, cached.hasGram || !args.gram,
   cached.hasSublayerStatistics || args.structureSets.allSatisfy({ $0 == [.ffn] }),
   cached.windows == args.sampling.count, cached.windowSize == args.sampling.windowSize {
    statistics = cached
    log("calibration statistics from \(cache)")
} else {
    statistics = try Calibrator(gram: args.gram).calibrate(model: dense, windows: windows, pool: pool, progress: { p in
        if p.windowsDone % 8 == 0 || p.windowsDone == p.windowsTotal {
            log(String(format: "  calibrated %d/%d windows, %.0f tokens/s", p.windowsDone, p.windowsTotal, p.tokensPerSecond))
        }
    })
    calibrationSeconds = seconds(since: calibrationStart)
    if let cache = args.statisticsCache { try JSONEncoder().encode(statistics).write(to: URL(fileURLWithPath: cache)) }
}
let calibrationRate = Double(args.sampling.count * args.sampling.windowSize) / calibrationSeconds
let densePPL = try perplexity(dense)
log(String(format: "dense perplexity %.4f", densePPL))

struct Row {
    var sparsity: Double
    var method: PruningMethod
    var compensation: Compensation
    var structures: [PruningStructure]
    var perplexity: Double
    var parametersRemoved: Double
    var pruneSeconds: Double
}
var rows: [Row] = []
for sparsity in args.sparsities {
    for method in args.methods {
        for compensation in args.compensations {
            for structures in args.structureSets {
                var options = PruningOptions(sparsity: sparsity, method: method)
                options.compensation = compensation
                options.target = args.target
                options.structures = structures
                options.budgetRule = args.budgetRule
                options.damping = args.damping
                options.align = args.align
                let start = Date()
                let (pruned, plan) = try Pruner().prune(model: dense, statistics: statistics, options: options, pool: pool)
                let pruneSeconds = seconds(since: start)
                let ppl = try perplexity(pruned)
                let removed = 1 - Double(pruned.parameterCount) / Double(dense.parameterCount)
                let used = plan.options.effectiveCompensation
                rows.append(Row(sparsity: sparsity, method: method, compensation: used, structures: structures, perplexity: ppl,
                                parametersRemoved: removed, pruneSeconds: pruneSeconds))
                let shape = structures == [.ffn] ? "" : "  heads \((0..<pruned.config.numLayers).map { pruned.config.heads(layer: $0) }) widths \(pruned.config.intermediateSizes)"
                log(String(format: "  p=%.2f %-12@ %-13@ %-20@ ppl %10.3f  removed %.1f%% of parameters  pruned in %.2f s",
                           sparsity, method.rawValue as NSString, used.rawValue as NSString,
                           structures.map(\.rawValue).joined(separator: "+") as NSString, ppl, removed * 100, pruneSeconds) + shape)
            }
        }
    }
}

var table = """
    Model: \((args.model as NSString).lastPathComponent) (\(dense.config.architecture), GGUF dequantized, \(args.precision.rawValue) weights in memory), \(args.threads) threads, \(VectorISA.summary).
    Calibration: WikiText-2 validation (" "-joined, \(calibrationTokens.count) tokens\(tokenizer.addsBOSToken ? " with a BOS first" : "")), N = \(args.sampling.count) windows of S = \(args.sampling.windowSize), seed 0, \(args.gram ? "FFN Gram matrices included" : "no Gram matrices"): \(calibrationSeconds > 0 ? String(format: "%.1f s, %.0f tokens/s", calibrationSeconds, calibrationRate) : "read from \(args.statisticsCache ?? "")").
    Budget rule: \(args.budgetRule.rawValue); compensation damping \(args.damping) x mean diagonal.
    Perplexity: WikiText-2 test ("\\n\\n"-joined\(tokenizer.addsBOSToken ? ", a BOS first" : "")), first \(evaluator.windowCount(tokens: evalTokens.count)) windows of 1024 tokens. Dense: \(String(format: "%.3f", densePPL)).


    | \(args.target == .parameters ? "target: share of parameters" : "FFN sparsity") | method | compensation | structures | PPL | parameters removed | pruning time (s) |
    | --- | --- | --- | --- | ---: | ---: | ---: |

    """
for row in rows {
    table += String(format: "| %.2f | %@ | %@ | %@ | %.3f | %.1f %% | %.2f |\n", row.sparsity, row.method.rawValue as NSString,
                    row.compensation.rawValue as NSString, row.structures.map(\.rawValue).joined(separator: " + ") as NSString,
                    row.perplexity, row.parametersRemoved * 100, row.pruneSeconds)
}
print(table)
if let out = args.markdown {
    try table.write(toFile: out, atomically: true, encoding: .utf8)
}
