import Core
import Foundation
import Kernels
import RPC

/// `finetune`: recovery fine-tuning with importance-guided LoRA (CFSP.md section 4); the
/// adapters are merged, so the new model has the same shapes and no extra layers.
public enum FinetuneRequest: RequestType {
    public static let method = "finetune"

    /// Training settings; every member optional (the trainer's defaults), except `steps`.
    public struct Settings: Codable, Sendable {
        /// Optimizer steps (required).
        public var steps: Int
        public var batchSize: Int?
        public var gradientAccumulation: Int?
        public var sequenceLength: Int?
        public var learningRate: Float?
        public var warmupSteps: Int?
        public var weightDecay: Float?
        public var clipNorm: Float?
        /// Average LoRA rank r; per-block ranks follow `allocation`.
        public var rank: Int?
        public var minRank: Int?
        public var maxRank: Int?
        /// `importance` (needs `calibration`), `pruned` (needs the parent model loaded) or `uniform`.
        public var allocation: RankAllocation?
        public var gamma: Double?
        public var seed: Int?
        /// Frozen weights' precision during training: f32 or bf16.
        public var frozenPrecision: WeightPrecision?
        /// Stop after this many seconds (the adapters so far are kept).
        public var timeBudgetSeconds: Double?
        /// Calibration handle whose block importance guides the ranks.
        public var calibration: String?
        public var blockMetric: BlockMetric?

        /// Settings for `steps` steps, everything else at the trainer's defaults.
        public init(steps: Int) { self.steps = steps }

        /// The trainer's options, defaults filled in.
        func options() -> FineTuneOptions {
            var o = FineTuneOptions(steps: steps, rank: rank ?? 8, allocation: allocation ?? .importance)
            if let batchSize { o.batchSize = batchSize }
            if let gradientAccumulation { o.gradientAccumulation = gradientAccumulation }
            if let sequenceLength { o.sequenceLength = sequenceLength }
            if let learningRate { o.learningRate = learningRate }
            if let warmupSteps { o.warmupSteps = warmupSteps }
            if let weightDecay { o.weightDecay = weightDecay }
            if let clipNorm { o.clipNorm = clipNorm }
            if let minRank { o.minRank = minRank }
            if let maxRank { o.maxRank = maxRank }
            if let gamma { o.gamma = gamma }
            if let seed { o.seed = UInt64(truncatingIfNeeded: seed) }
            o.frozenPrecision = frozenPrecision
            o.timeBudgetSeconds = timeBudgetSeconds
            return o
        }
    }

    /// The request's params, one flat JSON object: the model, a text input and the settings
    /// (unknown members such as `workDoneToken` are ignored here).
    @dynamicMemberLookup
    public struct Params: Codable, Sendable {
        /// The model handle to recover (usually a pruned one).
        public var model: String
        /// Training text.
        public var input: TextInput
        public var settings: Settings

        enum CodingKeys: String, CodingKey { case model }

        /// Creates params; omitted settings take the trainer's defaults.
        public init(model: String, input: TextInput, steps: Int) {
            self.model = model
            self.input = input
            self.settings = Settings(steps: steps)
        }

        /// Settings read and written as if they were members of the params.
        public subscript<T>(dynamicMember path: WritableKeyPath<Settings, T>) -> T {
            get { settings[keyPath: path] }
            set { settings[keyPath: path] = newValue }
        }

        /// Decodes the model, the text input and the settings from the same params object.
        public init(from decoder: any Decoder) throws {
            model = try decoder.container(keyedBy: CodingKeys.self).decode(String.self, forKey: .model)
            input = try TextInput(from: decoder)
            settings = try Settings(from: decoder)
        }

        /// Encodes the model, the text input and the settings into one params object.
        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(model, forKey: .model)
            try input.encode(to: encoder)
            try settings.encode(to: encoder)
        }
    }

    /// The request's result.
    public struct Response: Codable, Sendable {
        /// The model that was trained.
        public var model: String
        /// The new handle of the model with the adapters merged.
        public var finetuned: String
        /// LoRA rank of each block.
        public var ranks: [Int]
        public var trainableParameters: Int
        /// Mean training loss of each completed step.
        public var lossCurve: [Double]
        public var stepsCompleted: Int
        public var stepsPlanned: Int
        /// True when the request was cancelled: the adapters of the completed steps are kept.
        public var cancelled: Bool
        public var stoppedByTimeBudget: Bool
        public var tokensTrained: Int
        public var seconds: Double
        /// One line saying what happened.
        public var summary: String
    }
}
