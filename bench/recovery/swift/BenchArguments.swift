import Core
import Foundation
import Kernels

/// Command-line settings of the recovery benchmark (plain `--name value` pairs).
struct BenchArguments {
    var model = ProcessInfo.processInfo.environment["CFSP_MODEL"]
        ?? "\(NSHomeDirectory())/.cache/cfsp/models/SmolLM2-135M-Instruct.Q4_1.gguf"
    var data = ProcessInfo.processInfo.environment["CFSP_WIKITEXT"] ?? "/work/shared/data/wikitext-2-raw-v1"
    var sparsity = 0.3
    var budgetMinutes = 30.0
    /// Step cap: with a large budget, a fixed step count gives both allocations equal compute.
    var steps = 100_000
    /// N and S of the calibration, the paper's by default.
    var sampling = CalibrationSampling()
    var statisticsCache: String? = nil
    var sequenceLength = 512
    var batch = 4
    var accumulation = 1
    var learningRate: Float = 4e-4
    /// B matrices' learning rate as a multiple of A's (LoRA+; 1: one rate).
    var loraPlus: Float = 1
    var warmup = 8
    var rank = 8
    var gamma = 1.0
    var threads = 2
    var evalWindows = 16
    var allocations: [String] = ["importance", "uniform"]
    var frozen: WeightPrecision = .bf16
    /// Precision of the distillation teacher (the dense model loaded again when not f32).
    var teacherPrecision: WeightPrecision = .f32
    var seed: UInt64 = 0
    var results: String? = "bench/RESULTS.md"
    /// Also fine-tune the dense model, with the same ranks and the pruned run's step count (issue 15's control).
    var denseControl = false
    /// Train on this text (plain text, or JSONL with a "text" field) instead of WikiText-2 validation;
    /// the test split stays WikiText-2, so a gain is not just adaptation to the test domain.
    var trainText: String? = nil
    /// What recovery minimises: next-token cross-entropy, or distillation from the dense model
    /// (which then is also the dense control's teacher: the dense model distilled into itself).
    var objective = FineTuneObjective.languageModel
    /// T and w of distillation.
    var temperature: Float = 1
    var lmWeight: Float = 0
    /// Training windows of block-output reconstruction before the LoRA steps (0: none).
    var reconstruct = 0
    var reconstructionDamping = 1e-2
    var reconstructionWeighting = BlockReconstruction.TokenWeighting.normalized
    /// Refit only the down projections.
    var reconstructionFFNOnly = false
    /// Reconstruct, print the perplexity, and stop (no LoRA).
    var reconstructionOnly = false

    static let usage = """
        usage: RecoveryBench [--model PATH] [--data DIR] [--sparsity 0.3] [--budget-minutes 30] [--steps N]
          [--calibration-windows \(CalibrationSampling().count)] [--calibration-length \(CalibrationSampling().windowSize)] [--statistics-cache FILE]
          [--seq 512] [--batch 4] [--accumulation 1] [--lr 4e-4] [--lora-plus 1] [--warmup 8] [--rank 8] [--gamma 1]
          [--threads 2] [--eval-windows 16] [--allocations importance,uniform] [--frozen bf16|f32] [--teacher-precision f32|bf16]
          [--seed 0] [--results bench/RESULTS.md | --results none] [--dense-control] [--train-text FILE]
          [--objective language-model|distillation] [--temperature 1] [--lm-weight 0]
          [--reconstruct WINDOWS] [--reconstruction-damping 1e-2] [--reconstruction-only]
          [--reconstruction-weighting normalized|uniform] [--reconstruction-ffn-only]   (these two: with --reconstruction-only)
        """

    init(_ arguments: [String]) throws {
        var i = 0
        func value() throws -> String {
            guard i + 1 < arguments.count else { throw BenchError.usage("\(arguments[i]) needs a value") }
            i += 1
            return arguments[i]
        }
        func number<T: LosslessStringConvertible>(_ name: String) throws -> T {
            let text = try value()
            guard let parsed = T(text) else { throw BenchError.usage("\(name) needs a number, got '\(text)'") }
            return parsed
        }
        /// The next value as one of `allowed` (named in the error when it is not).
        func choice<T: RawRepresentable>(_ name: String, _ allowed: [T]) throws -> T where T.RawValue == String {
            let text = try value()
            guard let parsed = T(rawValue: text), allowed.contains(where: { $0.rawValue == text }) else {
                throw BenchError.usage("\(name) is \(allowed.map(\.rawValue).joined(separator: " or ")), got '\(text)'")
            }
            return parsed
        }
        while i < arguments.count {
            let name = arguments[i]
            switch name {
            case "--help", "-h":
                print(Self.usage)
                exit(0)
            case "--model": model = try value()
            case "--data": data = try value()
            case "--sparsity": sparsity = try number(name)
            case "--budget-minutes": budgetMinutes = try number(name)
            case "--steps": steps = try number(name)
            case "--calibration-windows": sampling.count = try number(name)
            case "--calibration-length": sampling.windowSize = try number(name)
            case "--statistics-cache": statisticsCache = try value()
            case "--seq": sequenceLength = try number(name)
            case "--batch": batch = try number(name)
            case "--accumulation": accumulation = try number(name)
            case "--reconstruct": reconstruct = try number(name)
            case "--reconstruction-damping": reconstructionDamping = try number(name)
            case "--reconstruction-only": reconstructionOnly = true
            case "--reconstruction-ffn-only": reconstructionFFNOnly = true
            case "--reconstruction-weighting": reconstructionWeighting = try choice(name, BlockReconstruction.TokenWeighting.allCases)
            case "--lr": learningRate = try number(name)
            case "--lora-plus": loraPlus = try number(name)
            case "--warmup": warmup = try number(name)
            case "--rank": rank = try number(name)
            case "--gamma": gamma = try number(name)
            case "--threads": threads = try number(name)
            case "--eval-windows": evalWindows = try number(name)
            case "--allocations": allocations = try value().split(separator: ",").map(String.init)
            case "--frozen": frozen = try choice(name, [WeightPrecision.bf16, .f32])
            case "--teacher-precision": teacherPrecision = try choice(name, [WeightPrecision.f32, .bf16])
            case "--seed": seed = try number(name)
            case "--dense-control": denseControl = true
            case "--train-text": trainText = try value()
            case "--objective": objective = try choice(name, FineTuneObjective.allCases)
            case "--temperature": temperature = try number(name)
            case "--lm-weight": lmWeight = try number(name)
            case "--results":
                let text = try value()
                results = text == "none" ? nil : text
            default: throw BenchError.usage("unknown option \(name)")
            }
            i += 1
        }
        // FineTuneOptions carries only the window count and damping of a reconstruction, so these
        // two shape the benchmark's reconstruction-only run and nothing else.
        if !reconstructionOnly, reconstructionFFNOnly || reconstructionWeighting != .normalized {
            throw BenchError.usage("--reconstruction-ffn-only and --reconstruction-weighting apply to --reconstruction-only runs")
        }
    }
}

/// Why the benchmark stopped.
enum BenchError: Error, CustomStringConvertible {
    case usage(String)
    case data(String)

    var description: String {
        switch self {
        case .usage(let message): return "\(message)\n\(BenchArguments.usage)"
        case .data(let message): return message
        }
    }
}
