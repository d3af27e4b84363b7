import Core
import Foundation
import FuzzCoreSupport
import FuzzSupport

/// libFuzzer entry: a Hugging Face `tokenizer.json` (byte-level BPE or SentencePiece-style BPE)
/// parsed and built into a tokenizer (`makeTokenizer(tokenizerJSON:)`), then used (`exercise`).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTokenizerJSON(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    guard let tokenizer = try? makeTokenizer(tokenizerJSON: Data(fuzzBytes(data, size))) else { return 0 }
    exercise(tokenizer)
    return 0
}
