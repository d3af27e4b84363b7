/// Checks a `StreamDecoder` against the ways real reads cut a stream, as swift-nio's
/// `ByteToMessageDecoderVerifier` does: the same bytes fed with each step in one read, one byte at
/// a time, everything in a single read, split at seeded random points, and (on request) split
/// in two at every byte. Every feeding must give exactly the expected outputs, each once its step
/// has arrived and not later, and leave the expected number of bytes buffered.
///
/// A decoder that is right only when each read holds whole messages passes a test that feeds it
/// whole messages and fails on a slow pipe in production; this makes such a test impossible to
/// write by accident.
public struct FramingVerifier<Decoder: StreamDecoder> {
    /// One piece of the stream and the outputs the decoder owes once that piece has arrived.
    public struct Step {
        /// The bytes of this piece.
        public var input: [UInt8]
        /// The outputs due once they have all been fed, in order.
        public var outputs: [Decoder.Output]

        /// The piece `input` and the outputs it completes.
        public init(_ input: [UInt8], _ outputs: [Decoder.Output]) {
            self.input = input
            self.outputs = outputs
        }
    }

    /// One way of cutting the stream into reads; each feeding starts from a fresh decoder.
    public enum Feeding: Sendable, Hashable, CustomStringConvertible {
        /// Each step's input in one read.
        case whole
        /// Every byte in a read of its own.
        case oneByteAtATime
        /// The whole stream in one read (outputs are then all due at its end).
        case allAtOnce
        /// Each step's input cut at up to eight points drawn from `TestRandom(seed:)`.
        case randomSplits(seed: UInt64)
        /// One feeding per byte boundary in the stream: that step cut in two there, the others whole.
        /// Quadratic in the stream's length, so not in `standard`: for short streams.
        case everySplitPoint

        /// Whole, one byte at a time, all at once, and sixteen seeded random cuttings.
        public static var standard: [Feeding] {
            [.whole, .oneByteAtATime, .allAtOnce] + (1...16).map { .randomSplits(seed: $0) }
        }

        /// The feeding in words, for failure reports.
        public var description: String {
            switch self {
            case .whole: return "each step whole"
            case .oneByteAtATime: return "one byte at a time"
            case .allAtOnce: return "all steps in one read"
            case .randomSplits(let seed): return "random splits (seed \(seed))"
            case .everySplitPoint: return "split in two at every byte"
            }
        }
    }

    /// A feeding that did not give the expected outputs or left the wrong bytes buffered.
    public struct Mismatch: Error, CustomStringConvertible {
        /// The feeding that failed.
        public let feeding: Feeding
        /// What was fed, what was due and what came out instead.
        public let description: String
    }

    private let makeDecoder: () -> Decoder

    /// A verifier for the decoders `makeDecoder` makes (one fresh decoder per feeding).
    public init(_ makeDecoder: @escaping () -> Decoder) {
        self.makeDecoder = makeDecoder
    }

    /// Feeds `steps` in every one of `feedings`; throws the first `Mismatch`. `leftover` is the
    /// number of bytes the decoder must still hold at the end (a trailing partial message).
    public func verify(_ steps: [Step], leftover: Int = 0, feedings: [Feeding] = Feeding.standard) throws {
        for feeding in feedings {
            for run in Self.runs(of: steps, feeding: feeding) {
                try verify(run, leftover: leftover, feeding: feeding)
            }
        }
    }

    /// One step as fed: its chunks, the outputs due after them, and where it lies in the stream.
    private struct FedStep {
        var chunks: [ArraySlice<UInt8>]
        var outputs: [Decoder.Output]
        var streamRange: Range<Int>
    }

    private func verify(_ run: [FedStep], leftover: Int, feeding: Feeding) throws {
        var decoder = makeDecoder()
        for (index, step) in run.enumerated() {
            var produced: [Decoder.Output] = []
            chunks: for chunk in step.chunks {
                chunk.withUnsafeBytes { decoder.append($0) }
                while let output = decoder.next() {
                    produced.append(output)
                    // More than due already fails; stop before a runaway decoder fills memory.
                    if produced.count > step.outputs.count { break chunks }
                }
            }
            if produced != step.outputs {
                throw Mismatch(feeding: feeding, description: Self.describe(
                    feeding: feeding, step: index, of: run, produced: produced))
            }
        }
        if decoder.bufferedByteCount != leftover {
            throw Mismatch(feeding: feeding, description: "\(feeding): \(decoder.bufferedByteCount) bytes left buffered at the end of the stream, \(leftover) expected")
        }
    }

    /// The cuttings of `steps` that `feeding` stands for (several for `everySplitPoint`).
    private static func runs(of steps: [Step], feeding: Feeding) -> [[FedStep]] {
        var ranges: [Range<Int>] = []
        var offset = 0
        for step in steps {
            ranges.append(offset..<(offset + step.input.count))
            offset += step.input.count
        }
        func run(_ cut: (Int, [UInt8]) -> [Int]) -> [FedStep] {
            steps.indices.map { index in
                let input = steps[index].input
                let bounds = [0] + cut(index, input).filter { $0 > 0 && $0 < input.count } + [input.count]
                let chunks = zip(bounds, bounds.dropFirst()).filter { $0 < $1 }.map { input[$0..<$1] }
                return FedStep(chunks: chunks, outputs: steps[index].outputs, streamRange: ranges[index])
            }
        }
        switch feeding {
        case .whole:
            return [run { _, _ in [] }]
        case .oneByteAtATime:
            return [run { _, input in Array(input.indices) }]
        case .allAtOnce:
            let all = steps.flatMap(\.input)
            return [[FedStep(chunks: all.isEmpty ? [] : [all[...]], outputs: steps.flatMap(\.outputs), streamRange: 0..<all.count)]]
        case .randomSplits(let seed):
            var random = TestRandom(seed: seed)
            return [run { _, input in
                guard input.count > 1 else { return [] }
                let cuts = random.int(below: min(input.count - 1, 8) + 1)
                return Set((0..<cuts).map { _ in 1 + random.int(below: input.count - 1) }).sorted()
            }]
        case .everySplitPoint:
            return steps.indices.flatMap { split in
                (1..<max(1, steps[split].input.count)).map { point in
                    run { index, _ in index == split ? [point] : [] }
                }
            }
        }
    }

    /// A readable account of a step whose outputs were wrong.
    private static func describe(feeding: Feeding, step index: Int, of run: [FedStep], produced: [Decoder.Output]) -> String {
        let step = run[index]
        let sizes = step.chunks.map(\.count)
        let shownSizes = sizes.prefix(24).map(String.init).joined(separator: ", ") + (sizes.count > 24 ? ", ..." : "")
        let fed = "step \(index) (stream bytes \(step.streamRange.lowerBound)..<\(step.streamRange.upperBound)) fed as reads of [\(shownSizes)] bytes"
        let expected = step.outputs
        let firstDifference = zip(produced, expected).enumerated().first { $0.element.0 != $0.element.1 }?.offset
            ?? min(produced.count, expected.count)
        var account = "\(feeding): \(fed) gave \(produced.count) outputs where \(expected.count) were due"
        if firstDifference < produced.count || firstDifference < expected.count {
            let got = firstDifference < produced.count ? String(reflecting: produced[firstDifference]) : "missing"
            let due = firstDifference < expected.count ? String(reflecting: expected[firstDifference]) : "nothing"
            account += "; output \(firstDifference) is \(got) where \(due) was due"
        }
        return account
    }
}
