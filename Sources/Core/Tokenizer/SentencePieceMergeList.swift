/// The ranked merge list of a BPE model that tokenizes as a score-ordered SentencePiece
/// vocabulary does (llama.cpp's `llm_tokenizer_spm`, `SentencePieceScoreMerger`).
///
/// SentencePiece in GGUF stores no merges: it joins the adjacent pair whose joined text is the
/// vocabulary entry with the highest score. A BPE model (Hugging Face `tokenizers`) joins the
/// adjacent pair with the best rank instead. Listing, for every entry, each way of cutting it
/// into two entries at a character boundary, best score first, gives the BPE the same choices
/// in the same order, so both cut a text alike (as transformers' `generate_merges` does for the
/// same purpose). Ties between equal scores go to the lower id of the joined entry, then of its
/// left part.
enum SentencePieceMergeList {
    /// The merges as (left id, right id) pairs, best first.
    /// - Parameters:
    ///   - tokens: vocabulary texts by id, pieces with `▁` for spaces.
    ///   - scores: one score per token (higher merges first); empty means all 0.
    ///   - included: whether an entry may be the result of a merge (entries matched whole in the
    ///     text, such as control tokens, never need to be).
    static func merges(tokens: [String], scores: [Float], included: (Int) -> Bool) -> [(left: Int32, right: Int32)] {
        let index = VocabularyIndex(texts: tokens)
        var found: [(score: Float, merged: Int32, left: Int32, right: Int32)] = []
        found.reserveCapacity(tokens.count * 2)
        for (id, text) in tokens.enumerated() where included(id) {
            let bytes = Array(text.utf8)
            guard bytes.count > 1 else { continue }
            let score = scores.isEmpty ? 0 : scores[id]
            bytes.withUnsafeBufferPointer { bytes in
                // A lower id with the same text is the one every lookup finds; this one is never made.
                guard index.id(of: bytes) == Int32(id) else { return }
                for cut in 1..<bytes.count where bytes[cut] & 0xC0 != 0x80 {
                    guard let left = index.id(of: UnsafeBufferPointer(rebasing: bytes[..<cut])),
                          let right = index.id(of: UnsafeBufferPointer(rebasing: bytes[cut...])) else { continue }
                    found.append((score, Int32(id), left, right))
                }
            }
        }
        found.sort { a, b in
            if a.score != b.score { return a.score > b.score }
            if a.merged != b.merged { return a.merged < b.merged }
            return a.left < b.left
        }
        return found.map { ($0.left, $0.right) }
    }
}
