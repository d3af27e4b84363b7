/// How text is cut into pre-tokens before BPE runs on each one: optionally every number
/// character on its own (Hugging Face `Digits(individual_digits: true)`), then a split pattern.
public struct PreTokenizer: Sendable, Equatable {
    /// The regex that splits each segment into pre-tokens.
    public var pattern: SplitPattern
    /// Whether every `\p{N}` scalar is isolated before the pattern runs (SmolLM2, StarCoder).
    public var isolatesDigits: Bool

    /// A pre-tokenizer from its parts.
    public init(pattern: SplitPattern, isolatesDigits: Bool) {
        self.pattern = pattern
        self.isolatesDigits = isolatesDigits
    }

    /// The GGUF `tokenizer.ggml.pre` names this tokenizer implements (llama.cpp's names).
    public static let supportedNames: [String] = ["default", "gpt-2", "gpt2", "smollm", "starcoder", "refact", "llama-bpe", "llama3"]

    /// The pre-tokenizer a GGUF `tokenizer.ggml.pre` name stands for.
    ///
    /// "default" is taken as GPT-2's pattern, which is what byte-level BPE files without a
    /// specific pre-tokenizer were trained with.
    public init(ggufName name: String) throws {
        switch name {
        case "default", "gpt-2", "gpt2":
            self.init(pattern: .gpt2, isolatesDigits: false)
        case "smollm", "starcoder", "refact":
            self.init(pattern: .gpt2, isolatesDigits: true)
        case "llama-bpe", "llama3":
            self.init(pattern: .llama3, isolatesDigits: false)
        default:
            throw TokenizerError.unsupportedPreTokenizer(name, supported: Self.supportedNames)
        }
    }

    /// The pre-tokens of `text`, in order (special tokens are not treated specially here): for
    /// inspecting what BPE will see.
    public func preTokens(of text: String) -> [String] {
        let scalars = Array(text.unicodeScalars)
        let classes = ScalarClass.classes(of: scalars)
        var pieces: [String] = []
        split(scalars, classes, segment: 0..<scalars.count) { range in
            var view = String.UnicodeScalarView()
            view.append(contentsOf: scalars[range])
            pieces.append(String(view))
        }
        return pieces
    }

    /// Calls `emit` with the consecutive pre-token ranges of `segment`.
    func split(
        _ scalars: [Unicode.Scalar], _ classes: [ScalarClass], segment: Range<Int>,
        emit: (Range<Int>) -> Void
    ) {
        guard isolatesDigits else {
            pattern.split(scalars, classes, segment: segment, emit: emit)
            return
        }
        var runStart = segment.lowerBound
        for index in segment where classes[index] == .number {
            if runStart < index {
                pattern.split(scalars, classes, segment: runStart..<index, emit: emit)
            }
            emit(index..<(index + 1))
            runStart = index + 1
        }
        if runStart < segment.upperBound {
            pattern.split(scalars, classes, segment: runStart..<segment.upperBound, emit: emit)
        }
    }
}
