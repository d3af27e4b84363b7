import ArgumentParser
import CFSPProtocol
import Core

/// The pruning options of `score`, `prune` and `run`, sparsity included (`score` and `prune`
/// require it, `run` has a default); defaults, ranges and docs are PruningOptions'.
struct PruningFlags: ParsableArguments {
    @Option(name: .long, parsing: .unconditional, help: MemberFlags.help(PruningOptions.self, "sparsity"))
    var sparsity: Double?

    @Option(name: .long, help: MemberFlags.help(PruningOptions.self, "method"))
    var method: PruningMethod?

    @OptionGroup var settings: PruningSettingsFlags

    /// The options these flags name at `sparsity`, the rest at PruningOptions' defaults.
    func options(sparsity: Double) -> PruningOptions {
        var options = settings.options(sparsity: sparsity)
        if let method { options.method = method }
        return options
    }
}

/// The pruning options besides the sparsity and the method: what `sweep` shares across its points.
struct PruningSettingsFlags: ParsableArguments {
    @Option(name: .long, help: MemberFlags.help(PruningOptions.self, "blockMetric"))
    var blockMetric: BlockMetric?

    @Option(name: .long, parsing: .unconditional, help: MemberFlags.help(PruningOptions.self, "temperature"))
    var temperature: Double?

    @Option(name: .long, parsing: .unconditional, help: MemberFlags.help(PruningOptions.self, "scale"))
    var scale: Double?

    @Option(name: .long, parsing: .unconditional, help: MemberFlags.help(PruningOptions.self, "downExponent"))
    var downExponent: Double?

    @Option(name: .long, parsing: .unconditional, help: MemberFlags.help(PruningOptions.self, "activationExponent"))
    var activationExponent: Double?

    @Option(name: .long, parsing: .unconditional, help: MemberFlags.help(PruningOptions.self, "align"))
    var align: Int?

    @Flag(name: .long, help: MemberFlags.help(PruningOptions.self, "uniformWidths"))
    var uniformWidths = false

    @Option(name: .long, help: MemberFlags.help(PruningOptions.self, "budgetRule"))
    var budgetRule: BudgetRule?

    @Option(name: .long, help: MemberFlags.help(PruningOptions.self, "compensation"))
    var compensation: Compensation?

    @Option(name: .long, parsing: .unconditional, help: MemberFlags.help(PruningOptions.self, "damping"))
    var damping: Double?

    @Option(name: .long, parsing: .upToNextOption, help: MemberFlags.help(PruningOptions.self, "structures"))
    var structures: [PruningStructure] = []

    @Option(name: .long, help: MemberFlags.help(PruningOptions.self, "target"))
    var target: PruningTarget?

    /// The options these flags name at `sparsity`, the rest (the method too) at PruningOptions' defaults.
    func options(sparsity: Double) -> PruningOptions {
        var options = PruningOptions(sparsity: sparsity)
        if let blockMetric { options.blockMetric = blockMetric }
        if let temperature { options.temperature = temperature }
        if let scale { options.scale = scale }
        if let downExponent { options.downExponent = downExponent }
        if let activationExponent { options.activationExponent = activationExponent }
        if let align { options.align = align }
        if uniformWidths { options.uniformWidths = true }
        if let budgetRule { options.budgetRule = budgetRule }
        if let compensation { options.compensation = compensation }
        if let damping { options.damping = damping }
        if !structures.isEmpty { options.structures = structures }
        if let target { options.target = target }
        return options
    }
}
