import ArgumentParser
import CFSPProtocol
import Core
import Kernels

/// `cfsp finetune`: recovery fine-tuning with importance-guided LoRA, merged into a new model.
struct FinetuneCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "finetune",
        abstract: "Recover a pruned model with LoRA adapters, merged into a new model (finetune).",
        discussion: """
            Ranks per block follow --allocation: importance (needs --calibration, the default),
            pruned (the model must come from prune, its parent still loaded) or uniform. Ctrl-C
            stops training and keeps the adapters of the steps already done. With --objective
            distillation the model learns the next-token distributions of --teacher (the handle
            of the dense model it was pruned from) instead of the text's next tokens.
            """)
    typealias Settings = FineTuneOptions

    @OptionGroup var model: ModelOption
    @OptionGroup var input: TextInputOptions
    @Option(name: .long, parsing: .unconditional, help: MemberFlags.help(Settings.self, "steps")) var steps: Int
    @Option(name: .long, help: MemberFlags.help(FinetuneParams.self, "calibration", valueName: "handle"))
    var calibration: String?
    @Option(name: .long, help: MemberFlags.help(FinetuneParams.self, "blockMetric")) var blockMetric: BlockMetric?
    @Option(name: .long, help: MemberFlags.help(Settings.self, "allocation")) var allocation: RankAllocation?
    @Option(name: .long, parsing: .unconditional, help: MemberFlags.help(Settings.self, "rank")) var rank: Int?
    @Option(name: .long, parsing: .unconditional, help: MemberFlags.help(Settings.self, "minRank")) var minRank: Int?
    @Option(name: .long, parsing: .unconditional, help: MemberFlags.help(Settings.self, "maxRank")) var maxRank: Int?
    @Option(name: .long, parsing: .unconditional, help: MemberFlags.help(Settings.self, "gamma")) var gamma: Double?
    @Option(name: .long, parsing: .unconditional, help: MemberFlags.help(Settings.self, "sequenceLength"))
    var sequenceLength: Int?
    @Option(name: .long, parsing: .unconditional, help: MemberFlags.help(Settings.self, "batchSize")) var batchSize: Int?
    @Option(name: .long, parsing: .unconditional, help: MemberFlags.help(Settings.self, "gradientAccumulation"))
    var gradientAccumulation: Int?
    @Option(name: .long, parsing: .unconditional, help: MemberFlags.help(Settings.self, "learningRate"))
    var learningRate: Float?
    @Option(name: .long, parsing: .unconditional, help: MemberFlags.help(Settings.self, "loraPlusRatio"))
    var loraPlusRatio: Float?
    @Option(name: .long, parsing: .unconditional, help: MemberFlags.help(Settings.self, "warmupSteps"))
    var warmupSteps: Int?
    @Option(name: .long, parsing: .unconditional, help: MemberFlags.help(Settings.self, "weightDecay"))
    var weightDecay: Float?
    @Option(name: .long, parsing: .unconditional, help: MemberFlags.help(Settings.self, "clipNorm")) var clipNorm: Float?
    @Option(name: .long, parsing: .unconditional, help: MemberFlags.help(Settings.self, "seed")) var seed: Int?
    @Option(name: .customLong("time-budget"), parsing: .unconditional,
            help: MemberFlags.help(Settings.self, "timeBudgetSeconds", valueName: "seconds"))
    var timeBudget: Double?
    @Option(name: .long, help: MemberFlags.help(Settings.self, "frozenPrecision")) var frozenPrecision: WeightPrecision?
    @Option(name: .long, help: MemberFlags.help(Settings.self, "objective")) var objective: FineTuneObjective?
    @Option(name: .long, help: MemberFlags.help(FinetuneParams.self, "teacher", valueName: "handle")) var teacher: String?
    @Option(name: .long, parsing: .unconditional, help: MemberFlags.help(Settings.self, "distillationTemperature"))
    var distillationTemperature: Float?
    @Option(name: .customLong("distillation-lm-weight"), parsing: .unconditional,
            help: MemberFlags.help(Settings.self, "distillationLmWeight"))
    var distillationLMWeight: Float?
    @OptionGroup var connection: ConnectionOptions

    /// The request's params.
    var params: FinetuneParams {
        var params = FinetuneParams(model: model.model, input: input.input, steps: steps)
        params.calibration = calibration
        params.teacher = teacher
        if let blockMetric { params.blockMetric = blockMetric }
        var o = params.options
        if let allocation { o.allocation = allocation }
        if let rank { o.rank = rank }
        if let minRank { o.minRank = minRank }
        if let maxRank { o.maxRank = maxRank }
        if let gamma { o.gamma = gamma }
        if let sequenceLength { o.sequenceLength = sequenceLength }
        if let batchSize { o.batchSize = batchSize }
        if let gradientAccumulation { o.gradientAccumulation = gradientAccumulation }
        if let learningRate { o.learningRate = learningRate }
        if let loraPlusRatio { o.loraPlusRatio = loraPlusRatio }
        if let warmupSteps { o.warmupSteps = warmupSteps }
        if let weightDecay { o.weightDecay = weightDecay }
        if let clipNorm { o.clipNorm = clipNorm }
        if let seed { o.seed = UInt64(bitPattern: Int64(seed)) }
        o.timeBudgetSeconds = timeBudget
        o.frozenPrecision = frozenPrecision
        if let objective { o.objective = objective }
        if let distillationTemperature { o.distillationTemperature = distillationTemperature }
        if let distillationLMWeight { o.distillationLMWeight = distillationLMWeight }
        params.options = o
        return params
    }

    func validate() throws {
        try MemberFlags.validate(params, flags: ["timeBudgetSeconds": "--time-budget",
                                                 "distillationLmWeight": "--distillation-lm-weight"])
    }

    func run() async throws {
        let result = try await DaemonSession.with(connection) { session throws(CLIError) in
            try await session.send(FinetuneRequest.self, params)
        }
        ResultPrinter.print(result.wireJSON, json: connection.json)
        // Interrupted, the daemon still answers with the steps done (and keeps their adapters):
        // the result is printed, and the status says the run did not finish.
        if result.cancelled {
            Console.err("cfsp: finetune cancelled after \(result.stepsCompleted) of \(result.stepsPlanned) steps; the result keeps the steps done")
            throw ExitCode(ExitStatus.cancelled)
        }
    }
}
