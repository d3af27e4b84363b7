import Core
import Testing
import TestSupport

/// The hand-written split scanners against splits computed with Python's `regex` package
/// (`regex.findall(pattern, text)`; for SmolLM2, every `\p{N}` isolated first).
@Suite("TokenizerPreTokenizer")
struct TokenizerPreTokenizerTests {
    static let gpt2 = PreTokenizer(pattern: .gpt2, isolatesDigits: false)
    static let smolLM = PreTokenizer(pattern: .gpt2, isolatesDigits: true)
    static let llama3 = PreTokenizer(pattern: .llama3, isolatesDigits: false)

    /// (text, GPT-2 split, SmolLM2 split, Llama-3 split), from Python `regex` 2026.5.9.
    static let cases: [(String, [String], [String], [String])] = [
        ("  hello", [" ", " hello"], [" ", " hello"], [" ", " hello"]),
        ("don't", ["don", "'t"], ["don", "'t"], ["don", "'t"]),
        ("\n\n", ["\n\n"], ["\n\n"], ["\n\n"]),
        ("hello  world ", ["hello", " ", " world", " "], ["hello", " ", " world", " "], ["hello", " ", " world", " "]),
        ("I'M HERE 'Ll we'd",
         ["I", "'", "M", " HERE", " '", "Ll", " we", "'d"],
         ["I", "'", "M", " HERE", " '", "Ll", " we", "'d"],
         ["I", "'M", " HERE", " '", "Ll", " we", "'d"]),
        ("$3.50 in 1984!",
         ["$", "3", ".", "50", " in", " 1984", "!"],
         ["$", "3", ".", "5", "0", " in", " ", "1", "9", "8", "4", "!"],
         ["$", "3", ".", "50", " in", " ", "198", "4", "!"]),
        ("naïve café — 日本語 🙂🙂",
         ["naïve", " café", " —", " 日本語", " 🙂🙂"],
         ["naïve", " café", " —", " 日本語", " 🙂🙂"],
         ["naïve", " café", " —", " 日本語", " 🙂🙂"]),
        ("a\n\n b", ["a", "\n\n", " b"], ["a", "\n\n", " b"], ["a", "\n\n", " b"]),
        ("x\u{3000}\u{A0}y\u{2003}",
         ["x", "\u{3000}", "\u{A0}", "y", "\u{2003}"],
         ["x", "\u{3000}", "\u{A0}", "y", "\u{2003}"],
         ["x", "\u{3000}", "\u{A0}y", "\u{2003}"]),
        ("Ⅻ²٣12345", ["Ⅻ²٣12345"], ["Ⅻ", "²", "٣", "1", "2", "3", "4", "5"], ["Ⅻ²٣", "123", "45"]),
        ("é vs e\u{301}", ["é", " vs", " e", "\u{301}"], ["é", " vs", " e", "\u{301}"], ["é", " vs", " e", "\u{301}"]),
        ("\tTab\r\nNew", ["\t", "Tab", "\r", "\n", "New"], ["\t", "Tab", "\r", "\n", "New"], ["\tTab", "\r\n", "New"]),
        ("'ſ", ["'", "ſ"], ["'", "ſ"], ["'ſ"]),
    ]

    /// Compares scalar by scalar: `String ==` would accept a canonically equivalent split.
    private func scalars(_ pieces: [String]) -> [[Unicode.Scalar]] {
        pieces.map { Array($0.unicodeScalars) }
    }

    @Test("GPT-2 pattern matches Python regex")
    func gpt2Splits() {
        for (text, expected, _, _) in Self.cases {
            #expect(scalars(Self.gpt2.preTokens(of: text)) == scalars(expected), "\(text.debugDescription)")
        }
    }

    @Test("SmolLM2 isolates every digit, then applies the GPT-2 pattern")
    func smolLMSplits() {
        for (text, _, expected, _) in Self.cases {
            #expect(scalars(Self.smolLM.preTokens(of: text)) == scalars(expected), "\(text.debugDescription)")
        }
    }

    @Test("Llama-3 pattern matches Python regex")
    func llama3Splits() {
        for (text, _, _, expected) in Self.cases {
            #expect(scalars(Self.llama3.preTokens(of: text)) == scalars(expected), "\(text.debugDescription)")
        }
    }

    @Test("Pre-tokens always cover the text exactly", arguments: 0..<3)
    func coverage(pattern: Int) {
        let preTokenizer = [Self.gpt2, Self.smolLM, Self.llama3][pattern]
        var random = TestRandom(seed: UInt64(pattern) + 11)
        for _ in 0..<200 {
            let text = random.unicodeString(maxLength: 24)
            let pieces = preTokenizer.preTokens(of: text)
            #expect(pieces.allSatisfy { !$0.unicodeScalars.isEmpty })
            #expect(pieces.flatMap { Array($0.unicodeScalars) } == Array(text.unicodeScalars))
        }
    }

    @Test("GGUF pre-tokenizer names map to patterns")
    func ggufNames() throws {
        #expect(try PreTokenizer(ggufName: "smollm") == Self.smolLM)
        #expect(try PreTokenizer(ggufName: "gpt-2") == Self.gpt2)
        #expect(try PreTokenizer(ggufName: "default") == Self.gpt2)
        #expect(try PreTokenizer(ggufName: "llama-bpe") == Self.llama3)
    }

    @Test("An unknown pre-tokenizer name is an error listing the supported ones")
    func unknownName() {
        #expect(throws: TokenizerError.unsupportedPreTokenizer("qwen2", supported: PreTokenizer.supportedNames)) {
            try PreTokenizer(ggufName: "qwen2")
        }
        let message = TokenizerError.unsupportedPreTokenizer("qwen2", supported: PreTokenizer.supportedNames).description
        #expect(message.contains("qwen2") && message.contains("smollm") && message.contains("llama-bpe"))
    }
}
