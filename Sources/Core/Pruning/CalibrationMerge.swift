/// Why calibration statistics cannot be added up: the statistic that differs and the two inputs
/// (by position) that disagree on it.
public struct CalibrationMergeError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The statistic that differs: `blocks` (block count or FFN widths), `hiddenSize`,
    /// `windowSize` or `gram` (some inputs have the Gram matrices and some not); `inputs` when
    /// there is nothing to merge.
    public var member: String
    /// The first input (its position in the list).
    public var first: Int
    /// The input that disagrees with `first`.
    public var other: Int
    /// `first`'s value, in words (`[48, 48]`, `16`, `the Gram matrices`).
    public var firstValue: String
    /// `other`'s value, in words.
    public var otherValue: String

    /// An error about `member`, which `first` holds as `firstValue` and `other` as `otherValue`.
    public init(member: String, first: Int, other: Int, firstValue: String, otherValue: String) {
        self.member = member
        self.first = first
        self.other = other
        self.firstValue = firstValue
        self.otherValue = otherValue
    }

    /// The sentence, naming the inputs by `labels` (handles, paths); positions when none is given.
    public func message(naming labels: [String] = []) -> String {
        func name(_ index: Int) -> String { index < labels.count ? "'\(labels[index])'" : "input \(index)" }
        switch member {
        case "inputs":
            return "there is nothing to merge: give at least one calibration"
        case "gram":
            return "\(name(first)) has \(firstValue) and \(name(other)) has \(otherValue): a Gram matrix summed over only some of the windows would weigh them more; calibrate every part with the same 'gram' setting"
        case "windowSize":
            return "\(name(first)) was calibrated on windows of \(firstValue) tokens and \(name(other)) on windows of \(otherValue): only calibrations of one window size add up"
        default:
            return "\(name(first)) and \(name(other)) were calibrated on models of different shapes (\(member) \(firstValue) and \(otherValue))"
        }
    }

    /// The sentence with the inputs named by position.
    public var description: String { message() }
}

extension CalibrationStatistics {
    /// The statistics of every window of `parts` together: what one calibration over all their
    /// windows would have measured, up to the order of the floating-point additions. Every field
    /// is a sum over windows and tokens, so merging is adding:
    ///
    /// - `windows`, `tokens`: summed.
    /// - each block's `angularSum`, `cosineSum`, `mseSum`, `maeSum`: summed.
    /// - each block's `activationSum`, `activationSquareSum`: summed neuron by neuron.
    /// - each block's `gram`: summed entry by entry when every part has it; a mix is refused
    ///   (member `gram`), since a Gram matrix of only some windows would silently weigh them more.
    /// - `windowSize`, `hiddenSize`, the block count and FFN widths: must be equal (the
    ///   importance of windows of different lengths does not add up, and other shapes are
    ///   another model).
    /// - `formatVersion`: the lowest of the parts (a format-1 part has no Gram matrices, and the
    ///   missing-Gram message says so).
    ///
    /// Parts are not checked for overlap: merging the same windows twice counts them twice,
    /// which is the caller's choice (a weight). One part gives a copy.
    public static func merged(_ parts: [CalibrationStatistics]) throws(CalibrationMergeError) -> CalibrationStatistics {
        guard var total = parts.first else {
            throw CalibrationMergeError(member: "inputs", first: 0, other: 0, firstValue: "", otherValue: "")
        }
        for (index, part) in parts.enumerated().dropFirst() {
            try total.checkAddable(part, first: 0, other: index)
        }
        for part in parts.dropFirst() {
            total.windows += part.windows
            total.tokens += part.tokens
            total.formatVersion = min(total.formatVersion, part.formatVersion)
            for block in total.blocks.indices {
                total.blocks[block].add(part.blocks[block])
            }
        }
        return total
    }

    /// Throws unless `part` has this one's shape, window size and Gram matrices.
    private func checkAddable(_ part: CalibrationStatistics, first: Int, other: Int) throws(CalibrationMergeError) {
        func refuse(_ member: String, _ mine: String, _ theirs: String) -> CalibrationMergeError {
            CalibrationMergeError(member: member, first: first, other: other, firstValue: mine, otherValue: theirs)
        }
        let widths = blocks.map(\.width), partWidths = part.blocks.map(\.width)
        if widths != partWidths { throw refuse("blocks", "\(widths)", "\(partWidths)") }
        if hiddenSize != part.hiddenSize { throw refuse("hiddenSize", "\(hiddenSize)", "\(part.hiddenSize)") }
        if windowSize != part.windowSize { throw refuse("windowSize", "\(windowSize)", "\(part.windowSize)") }
        for (block, (mine, theirs)) in zip(blocks, part.blocks).enumerated() where mine.hasGram != theirs.hasGram {
            func words(_ has: Bool) -> String { has ? "the Gram matrices" : "none (block \(block))" }
            throw refuse("gram", words(mine.hasGram), words(theirs.hasGram))
        }
    }
}

extension BlockStatistics {
    /// Whether the block has a Gram matrix of its width (what compensation can use).
    var hasGram: Bool { gram?.size == width }

    /// Adds `other`'s sums (same width, both with or both without a Gram matrix) to these.
    mutating func add(_ other: BlockStatistics) {
        angularSum += other.angularSum
        cosineSum += other.cosineSum
        mseSum += other.mseSum
        maeSum += other.maeSum
        for j in activationSum.indices {
            activationSum[j] += other.activationSum[j]
            activationSquareSum[j] += other.activationSquareSum[j]
        }
        addSublayerStatistics(other)
        guard var mine = gram, let theirs = other.gram, mine.size == theirs.size else {
            gram = nil  // no usable matrix in one of them (checked before: in neither)
            return
        }
        gram = nil  // one owner while it is updated in place
        mine.add(theirs)
        gram = mine
    }

    /// Adds the sublayer statistics of calibration format 3 (what attention and depth pruning
    /// read) when both blocks have them; when either lacks them (a format-2 part) the merged block
    /// has none, as a format-2 calibration would: FFN pruning still works, attention and depth
    /// pruning ask for a new calibration. The attention Gram matrix likewise needs both.
    mutating func addSublayerStatistics(_ other: BlockStatistics) {
        guard let mineAttention = attentionAngularSum, let theirsAttention = other.attentionAngularSum,
              let mineFFN = ffnAngularSum, let theirsFFN = other.ffnAngularSum,
              var energy = attentionSquareSum, let theirsEnergy = other.attentionSquareSum,
              energy.count == theirsEnergy.count else {
            attentionAngularSum = nil
            ffnAngularSum = nil
            attentionSquareSum = nil
            attentionGram = nil
            return
        }
        attentionAngularSum = mineAttention + theirsAttention
        ffnAngularSum = mineFFN + theirsFFN
        for c in energy.indices { energy[c] += theirsEnergy[c] }
        attentionSquareSum = energy
        guard var mine = attentionGram, let theirs = other.attentionGram, mine.size == theirs.size else {
            attentionGram = nil
            return
        }
        attentionGram = nil  // one owner while it is updated in place
        mine.add(theirs)
        attentionGram = mine
    }
}

extension GramMatrix {
    /// Adds `other` (of the same size) entry by entry.
    mutating func add(_ other: GramMatrix) {
        precondition(other.size == size, "GramMatrix.add: sizes \(size) and \(other.size)")
        packed.withUnsafeMutableBufferPointer { mine in
            other.packed.withUnsafeBufferPointer { theirs in
                for k in mine.indices { mine[k] += theirs[k] }
            }
        }
    }
}
