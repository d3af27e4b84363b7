import Core
import FuzzSupport

/// A short text with what tokenizers treat specially: spaces and newlines, digits, punctuation,
/// accents, a character outside the BMP, and special-token look-alikes.
let exerciseText = "Hello, world!  The 2 caf\u{E9}s\n\t<|endoftext|><bos> \u{1F600} ok"

/// Uses a tokenizer built from untrusted data the way cfsp does: encode a short text, decode
/// its ids (with and without special tokens), and decode each of the first 64 ids alone.
/// Traps (`fuzzCheck`) if encoding gives an id outside `0..<tokenCount` or decoding valid ids
/// throws: both are promised by `TextTokenizer`.
public func exercise(_ tokenizer: any TextTokenizer) {
    _ = tokenizer.summary
    let ids = tokenizer.encodeDocument(exerciseText)
    let count = tokenizer.tokenCount
    fuzzCheck(ids.allSatisfy { $0 >= 0 && Int($0) < count }, "encode gave ids \(ids) for a vocabulary of \(count)")
    for skipping in [false, true] {
        do {
            _ = try tokenizer.decode(ids, skippingSpecialTokens: skipping)
            for id in 0..<Int32(min(count, 64)) {
                _ = try tokenizer.decodedBytes([id], skippingSpecialTokens: skipping)
            }
        } catch {
            fuzzCheck(false, "decoding valid ids threw \(error)")
        }
    }
}
