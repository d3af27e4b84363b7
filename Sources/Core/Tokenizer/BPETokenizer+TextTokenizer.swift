extension BPETokenizer: TextTokenizer {
    /// "byte-level BPE, 49152 tokens, pre-tokenizer ...".
    public var summary: String {
        "byte-level BPE, \(tokenCount) tokens, pre-tokenizer \(preTokenizer)"
    }
}
