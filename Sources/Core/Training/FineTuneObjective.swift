import Kernels

/// What recovery fine-tuning minimises.
///
/// Next-token cross-entropy on the training text restores the pruned model but also adapts it
/// to that text (which the dense model given the same LoRA gains too); distillation instead
/// pulls the pruned model's whole next-token distribution towards the dense model it came from,
/// so what is learned is what pruning removed rather than the training text's domain.
public enum FineTuneObjective: String, Sendable, Codable, CaseIterable {
    /// Mean next-token cross-entropy of the training windows.
    case languageModel = "language-model"
    /// Mean per-token (1 - w) T² KL(p_teacher || p_student) + w x cross-entropy, with the teacher
    /// (the dense model) run on the same windows: `FineTuneOptions.distillationTemperature` is T,
    /// `distillationLMWeight` is w.
    case distillation
}

/// The teacher of a distillation run and its settings: what `LoRANetwork` needs to compute the
/// distillation loss.
public struct Distillation: Sendable {
    /// The model whose next-token distributions the student learns (usually the dense parent).
    public var teacher: LlamaModel
    /// T: both distributions are softened by dividing the logits by it.
    public var temperature: Float
    /// w: the share of the next-token cross-entropy in the loss (0: pure distillation).
    public var lmWeight: Float

    /// Distillation from `teacher` at temperature T with LM-loss weight w.
    public init(teacher: LlamaModel, temperature: Float = 1, lmWeight: Float = 0) {
        self.teacher = teacher
        self.temperature = temperature
        self.lmWeight = lmWeight
    }

    /// Checks that `teacher` can teach `student`: the same vocabulary (the KL compares the two
    /// distributions entry by entry) and room for windows of `tokens` tokens.
    func validate(student: LlamaConfig, tokens: Int) throws(FineTuneError) {
        let t = teacher.config
        guard t.vocabSize == student.vocabSize else {
            throw .invalidTeacher("the teacher's vocabulary has \(t.vocabSize) tokens, the student's \(student.vocabSize); distillation needs the same tokenizer")
        }
        guard tokens <= t.contextLength else {
            throw .invalidTeacher("training windows of \(tokens) tokens exceed the teacher's context length \(t.contextLength)")
        }
        let limits = (temperature: FineTuneOptions.Limits.distillationTemperature,
                      lmWeight: FineTuneOptions.Limits.distillationLMWeight)
        if !temperature.isFinite { throw .invalidOption("the distillation temperature must be finite (got \(temperature))") }
        if let v = limits.temperature.violation("the distillation temperature", Double(temperature)) { throw .invalidOption(v) }
        if let v = limits.lmWeight.violation("the distillation LM weight", Double(lmWeight)) { throw .invalidOption(v) }
    }
}

/// The teacher's side of a distillation run: its final-normed hidden states for the current
/// window (one forward pass per window, no gradients) and one chunk of its logits at a time,
/// so memory is a single chunk x vocab buffer rather than tokens x vocab logits.
final class DistillationTeacher {
    let settings: Distillation
    let workspace: ForwardWorkspace
    /// One chunk of teacher logits, `TrainingWorkspace.headChunk` x vocab.
    let logits: UnsafeMutablePointer<Float>

    init(_ settings: Distillation, tokens: Int) {
        self.settings = settings
        workspace = ForwardWorkspace(model: settings.teacher, tokens: tokens)
        let count = TrainingWorkspace.headChunk * settings.teacher.config.vocabSize
        logits = .allocate(capacity: count)
        logits.initialize(repeating: 0, count: count)
    }

    deinit { logits.deallocate() }

    /// Runs the teacher's blocks over `window`, keeping its final-normed hidden states.
    func observe(_ window: [Int32], pool: ThreadPool, isCancelled: () -> Bool) throws {
        try settings.teacher.runBlocks(window, workspace: workspace, pool: pool, isCancelled: isCancelled)
    }

    /// Writes the teacher's logits of positions start..<start + rows into `logits`.
    func logits(start: Int, rows: Int, pool: ThreadPool) {
        let model = settings.teacher, h = model.config.hiddenSize
        matmul(workspace.normed + start * h, rows: rows, lda: h, weights: model.outputHead, into: logits,
               ldc: model.config.vocabSize, pool: pool)
    }
}

extension FineTuneOptions {
    /// The distillation these options ask of `teacher`: nil for the language-model objective.
    /// Throws when distillation has no teacher, or a teacher is given to the language-model
    /// objective (which would silently ignore it).
    public func distillation(teacher: LlamaModel?) throws(FineTuneError) -> Distillation? {
        switch (objective, teacher) {
        case (.languageModel, nil): return nil
        case (.languageModel, .some) where reconstructionWindows > 0: return nil
        case (.languageModel, .some):
            throw .invalidTeacher("a teacher is only used by objective 'distillation' (the objective is 'language-model')")
        case (.distillation, nil):
            throw .invalidTeacher("objective 'distillation' needs a teacher model (the dense model the student was pruned from)")
        case (.distillation, let teacher?):
            return Distillation(teacher: teacher, temperature: distillationTemperature, lmWeight: distillationLMWeight)
        }
    }
}
