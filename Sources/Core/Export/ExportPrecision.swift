/// The element type an export stores its weights in: a dense float type, or one of
/// llama.cpp's quantized file types (GGUF only), named as `llama-quantize` names them.
public enum ExportPrecision: String, Sendable, Codable, Equatable, CaseIterable {
    /// Exact: the model's values as they are (bf16-packed weights widen without loss).
    case f32
    /// IEEE half precision, rounded to nearest even.
    case f16
    /// bfloat16, rounded to nearest even: half the size of f32 with f32's range.
    case bf16
    /// Q8_0 (8.5 bits per weight): near-lossless, every matrix Q8_0.
    case q8_0
    /// Q4_0 (4.5 bits per weight): round-to-nearest 4-bit, the output head Q6_K.
    case q4_0
    /// Q4_K_S: Q4_K matrices, the first eighth of `ffn_down` and first four `attn_v` Q5_K, the
    /// output head Q6_K.
    case q4_k_s
    /// Q4_K_M, the usual 4-bit choice: Q4_K matrices, with half of `attn_v` and `ffn_down`
    /// (`GGUFQuantizationMix.usesMoreBits`) and the output head Q6_K.
    case q4_k_m
    /// Q5_K_S: Q5_K matrices, the output head Q6_K.
    case q5_k_s
    /// Q5_K_M: Q5_K matrices, with half of `attn_v` and `ffn_down` and the output head Q6_K.
    case q5_k_m
    /// Q6_K (6.56 bits per weight): every matrix Q6_K.
    case q6_k

    /// Whether this is one of llama.cpp's quantized file types (written to GGUF only).
    public var isQuantized: Bool {
        tensorType.blockSize > 1
    }

    /// The GGUF type of the matrices: for the quantized types the one most matrices get
    /// (`q4_k_m` → Q4_K), llama.cpp's default type of that file type; `GGUFQuantizationMix`
    /// chooses each tensor's own.
    public var tensorType: TensorType {
        switch self {
        case .f32: .f32
        case .f16: .f16
        case .bf16: .bf16
        case .q8_0: .q8_0
        case .q4_0: .q4_0
        case .q4_k_s, .q4_k_m: .q4_K
        case .q5_k_s, .q5_k_m: .q5_K
        case .q6_k: .q6_K
        }
    }

    /// The safetensors dtype of this precision, or nil for the quantized types, which
    /// safetensors cannot hold.
    public var safetensorsDType: SafetensorsDType? {
        switch self {
        case .f32: .f32
        case .f16: .f16
        case .bf16: .bf16
        default: nil
        }
    }

    /// The multiple of which FFN widths must be for a pruned model's `ffn_down` (whose rows
    /// are as long as the FFN is wide) to keep this precision's own block type: 256 for the
    /// K-quants, 32 for Q8_0/Q4_0, 1 for dense types. Prune with `align` set to this; other
    /// widths make `ffn_down` fall back (`GGUFQuantizationMix`).
    public var widthAlignment: Int {
        tensorType.blockSize
    }

    /// llama.cpp's `general.file_type` (`llama_ftype`): `ALL_F32` = 0, `MOSTLY_F16` = 1,
    /// `MOSTLY_Q4_0` = 2, `Q8_0` = 7, `Q4_K_S` = 14, `Q4_K_M` = 15, `Q5_K_S` = 16,
    /// `Q5_K_M` = 17, `Q6_K` = 18, `BF16` = 32. It names the mix, whatever fallbacks single
    /// tensors needed, as llama-quantize records it.
    var ggufFileType: UInt32 {
        switch self {
        case .f32: 0
        case .f16: 1
        case .q4_0: 2
        case .q8_0: 7
        case .q4_k_s: 14
        case .q4_k_m: 15
        case .q5_k_s: 16
        case .q5_k_m: 17
        case .q6_k: 18
        case .bf16: 32
        }
    }
}
