import Core
import Foundation
import Kernels
import RPC

/// `finetune`: recovery fine-tuning with importance-guided LoRA (CFSP.md section 4); the
/// adapters are merged, so the new model has the same shapes and no extra layers.
public enum FinetuneRequest: RequestType {
    public static let method = "finetune"

    /// The request's params (unknown members such as `workDoneToken` are ignored here).
    public struct Params: Codable, Sendable {
        /// The model handle to recover (usually a pruned one).
        public var model: String
        /// Training text.
        public var input: TextInput
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

        enum CodingKeys: String, CodingKey {
            case model, steps, batchSize, gradientAccumulation, sequenceLength, learningRate, warmupSteps,
                 weightDecay, clipNorm, rank, minRank, maxRank, allocation, gamma, seed, frozenPrecision,
                 timeBudgetSeconds, calibration, blockMetric
        }

        /// Creates params; omitted members take the trainer's defaults.
        public init(model: String, input: TextInput, steps: Int) {
            self.model = model
            self.input = input
            self.steps = steps
        }

        /// Decodes the named members and the text input from the same params object.
        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            model = try c.decode(String.self, forKey: .model)
            steps = try c.decode(Int.self, forKey: .steps)
            batchSize = try c.decodeIfPresent(Int.self, forKey: .batchSize)
            gradientAccumulation = try c.decodeIfPresent(Int.self, forKey: .gradientAccumulation)
            sequenceLength = try c.decodeIfPresent(Int.self, forKey: .sequenceLength)
            learningRate = try c.decodeIfPresent(Float.self, forKey: .learningRate)
            warmupSteps = try c.decodeIfPresent(Int.self, forKey: .warmupSteps)
            weightDecay = try c.decodeIfPresent(Float.self, forKey: .weightDecay)
            clipNorm = try c.decodeIfPresent(Float.self, forKey: .clipNorm)
            rank = try c.decodeIfPresent(Int.self, forKey: .rank)
            minRank = try c.decodeIfPresent(Int.self, forKey: .minRank)
            maxRank = try c.decodeIfPresent(Int.self, forKey: .maxRank)
            allocation = try c.decodeIfPresent(RankAllocation.self, forKey: .allocation)
            gamma = try c.decodeIfPresent(Double.self, forKey: .gamma)
            seed = try c.decodeIfPresent(Int.self, forKey: .seed)
            frozenPrecision = try c.decodeIfPresent(WeightPrecision.self, forKey: .frozenPrecision)
            timeBudgetSeconds = try c.decodeIfPresent(Double.self, forKey: .timeBudgetSeconds)
            calibration = try c.decodeIfPresent(String.self, forKey: .calibration)
            blockMetric = try c.decodeIfPresent(BlockMetric.self, forKey: .blockMetric)
            input = try TextInput(from: decoder)
        }

        /// Encodes the named members and the text input into one params object.
        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(model, forKey: .model)
            try c.encode(steps, forKey: .steps)
            try c.encodeIfPresent(batchSize, forKey: .batchSize)
            try c.encodeIfPresent(gradientAccumulation, forKey: .gradientAccumulation)
            try c.encodeIfPresent(sequenceLength, forKey: .sequenceLength)
            try c.encodeIfPresent(learningRate, forKey: .learningRate)
            try c.encodeIfPresent(warmupSteps, forKey: .warmupSteps)
            try c.encodeIfPresent(weightDecay, forKey: .weightDecay)
            try c.encodeIfPresent(clipNorm, forKey: .clipNorm)
            try c.encodeIfPresent(rank, forKey: .rank)
            try c.encodeIfPresent(minRank, forKey: .minRank)
            try c.encodeIfPresent(maxRank, forKey: .maxRank)
            try c.encodeIfPresent(allocation, forKey: .allocation)
            try c.encodeIfPresent(gamma, forKey: .gamma)
            try c.encodeIfPresent(seed, forKey: .seed)
            try c.encodeIfPresent(frozenPrecision, forKey: .frozenPrecision)
            try c.encodeIfPresent(timeBudgetSeconds, forKey: .timeBudgetSeconds)
            try c.encodeIfPresent(calibration, forKey: .calibration)
            try c.encodeIfPresent(blockMetric, forKey: .blockMetric)
            try input.encode(to: encoder)
        }

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
