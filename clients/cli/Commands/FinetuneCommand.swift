import ArgumentParser
import RPC

/// `cfsp finetune`: recovery fine-tuning with importance-guided LoRA, merged into a new model.
struct FinetuneCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "finetune",
        abstract: "Recover a pruned model with LoRA adapters, merged into a new model (finetune).",
        discussion: """
            Ranks per block follow --allocation: importance (needs --calibration, the default),
            pruned (the model must come from prune, its parent still loaded) or uniform. Ctrl-C
            stops training and keeps the adapters of the steps already done.
            """)
    @Option(name: .long, help: "The model handle, like m2.") var model: String
    @OptionGroup var input: TextInputOptions
    @Option(name: .long, help: "Optimizer steps.") var steps: Int
    @Option(name: .long, help: "Calibration handle whose block importance guides the ranks, like c1.") var calibration: String?
    @Option(name: .long, help: "importance (default), pruned or uniform.") var allocation: String?
    @Option(name: .long, help: "Average LoRA rank r (default 8).") var rank: Int?
    @Option(name: .customLong("sequence-length"), help: "Tokens per training window (default 256).") var sequenceLength: Int?
    @Option(name: .customLong("batch-size"), help: "Windows per micro-batch (default 1).") var batchSize: Int?
    @Option(name: .customLong("gradient-accumulation"), help: "Micro-batches per step (default 1).") var gradientAccumulation: Int?
    @Option(name: .customLong("learning-rate"), help: "Peak learning rate (default 2e-4).") var learningRate: Double?
    @Option(name: .customLong("warmup-steps"), help: "Linear warm-up steps (default 0).") var warmupSteps: Int?
    @Option(name: .long, help: "Seed of the adapters and the window order (default 0).") var seed: Int?
    @Option(name: .customLong("time-budget"), help: "Stop after this many seconds, keeping what was trained.") var timeBudget: Double?
    @Option(name: .customLong("frozen-precision"), help: "f32 or bf16 for the frozen weights while training.") var frozenPrecision: String?
    @OptionGroup var connection: ConnectionOptions

    func validate() throws {
        guard steps >= 1 else { throw ValidationError("--steps must be at least 1, got \(steps)") }
        if let rank, rank < 1 { throw ValidationError("--rank must be at least 1, got \(rank)") }
        if let allocation, !["importance", "pruned", "uniform"].contains(allocation) {
            throw ValidationError("--allocation is importance, pruned or uniform, not '\(allocation)'")
        }
    }

    func run() async throws {
        var params = input.members
        params["model"] = .string(model)
        params["steps"] = .int(steps)
        if let calibration { params["calibration"] = .string(calibration) }
        if let allocation { params["allocation"] = .string(allocation) }
        if let rank { params["rank"] = .int(rank) }
        if let sequenceLength { params["sequenceLength"] = .int(sequenceLength) }
        if let batchSize { params["batchSize"] = .int(batchSize) }
        if let gradientAccumulation { params["gradientAccumulation"] = .int(gradientAccumulation) }
        if let learningRate { params["learningRate"] = .double(learningRate) }
        if let warmupSteps { params["warmupSteps"] = .int(warmupSteps) }
        if let seed { params["seed"] = .int(seed) }
        if let timeBudget { params["timeBudgetSeconds"] = .double(timeBudget) }
        if let frozenPrecision { params["frozenPrecision"] = .string(frozenPrecision) }
        try await connection.perform("finetune", .object(params))
    }
}
