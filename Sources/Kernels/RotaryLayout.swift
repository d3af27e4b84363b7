/// How rotary embeddings pair up the dimensions of a head.
public enum RotaryLayout: String, Sendable, Codable, Equatable {
    /// Hugging Face: dimension i pairs with i + headDim/2 (`rotate_half`).
    case rotateHalf
    /// GGUF/llama.cpp: dimensions 2i and 2i+1 pair up (the converter permuted Q and K rows).
    case interleaved
}
